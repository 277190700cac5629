import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KotsError } from '../../../core/errors.js';
import { resolveCity } from '../../../agent/cities.js';
import { SensorsSource } from '../../../agent/sources/sensors.js';
import { scanSysfs } from '../../../agent/sources/sysfs.js';
import { tempDir } from '../config.js';

/** Writes files of a sysfs-like tree: { 'bus/iio/devices/iio:device0/name': 'bme280', ... }. */
function tree(files: Record<string, string>): string {
  const root = tempDir('kots-sysfs-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), `${content}\n`);
  }
  return root;
}

const BME280 = {
  'bus/iio/devices/iio:device0/name': 'bme280',
  'bus/iio/devices/iio:device0/in_temp_input': '23450',
  'bus/iio/devices/iio:device0/in_humidityrelative_input': '45123',
  'bus/iio/devices/iio:device0/in_pressure_input': '101.325',
};
const DS18B20_OK = {
  'bus/w1/devices/28-0316a2796bff/w1_slave': '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125',
};
const CPU = { 'class/hwmon/hwmon0/name': 'cpu_thermal', 'class/hwmon/hwmon0/temp1_input': '51540' };

const city = resolveCity({ name: 'Kochi', country: 'JP', lat: 33.5597, lon: 133.5311 });

describe('scanSysfs', () => {
  it('reads IIO inputs in their ABI units, DS18B20 w1_slave, and skips CPU hwmon chips', () => {
    const scan = scanSysfs(tree({ ...BME280, ...DS18B20_OK, ...CPU }));
    expect(scan.values).toEqual([
      { sensor: 'iio:device0 (bme280)', quantity: 'temperature', value: 23.45 },
      { sensor: 'iio:device0 (bme280)', quantity: 'humidity', value: 45.123 },
      { sensor: 'iio:device0 (bme280)', quantity: 'pressure', value: 1013.25 },
      { sensor: 'w1 28-0316a2796bff (ds18b20)', quantity: 'temperature', value: 23.125 },
    ]);
    expect(scan.problems).toEqual([]);
  });

  it('computes (raw + offset) * scale when a driver has no *_input (DHT22-style raw channels)', () => {
    const scan = scanSysfs(
      tree({
        'bus/iio/devices/iio:device1/name': 'dht11',
        'bus/iio/devices/iio:device1/in_temp_raw': '215',
        'bus/iio/devices/iio:device1/in_temp_scale': '100',
        'bus/iio/devices/iio:device1/in_humidityrelative_raw': '613',
        'bus/iio/devices/iio:device1/in_humidityrelative_scale': '100',
      }),
    );
    expect(scan.values.map((v) => [v.quantity, v.value])).toEqual([
      ['temperature', 21.5],
      ['humidity', 61.3],
    ]);
  });

  it('reports garbage instead of using it: failed CRC, 85 °C power-on value, implausible numbers', () => {
    const scan = scanSysfs(
      tree({
        'bus/w1/devices/28-aaaa/w1_slave': '50 05 4b 46 7f ff 0c 10 1c : crc=1c NO\n50 05 4b 46 7f ff 0c 10 1c t=85000',
        'bus/w1/devices/28-bbbb/temperature': '85000',
        'bus/iio/devices/iio:device0/name': 'bme280',
        'bus/iio/devices/iio:device0/in_humidityrelative_input': '250000',
        'bus/iio/devices/iio:device0/in_temp_input': 'garbage',
      }),
    );
    expect(scan.values).toEqual([]);
    expect(scan.problems).toHaveLength(4);
    expect(scan.problems.join('\n')).toMatch(/CRC check failed[\s\S]*power-on value/);
  });
});

describe('SensorsSource', () => {
  it('fills main.temp (K), humidity and pressure from the first sensor of each, and reports host health', async () => {
    const source = new SensorsSource(city, tree({ ...BME280, ...DS18B20_OK }));
    const weather = await source.read(new Date('2026-01-02T03:04:05Z'));
    expect(weather.main).toEqual({ temp: 296.6, humidity: 45.1, pressure: 1013.25 });
    expect(weather.weather).toEqual([]);
    expect(weather.dt).toBe(Date.parse('2026-01-02T03:04:05Z') / 1000);
    const health = source.health();
    expect(health.used).toEqual({ temperature: 'iio:device0 (bme280)', humidity: 'iio:device0 (bme280)', pressure: 'iio:device0 (bme280)' });
    expect((health.host as { uptimeSeconds: number }).uptimeSeconds).toBeGreaterThan(0);
  });

  it('keeps going when a sensor disappears, and says so in health', async () => {
    const root = tree({ ...BME280, ...DS18B20_OK });
    const source = new SensorsSource(city, root);
    await source.read(new Date());
    rmSync(join(root, 'bus/iio/devices/iio:device0'), { recursive: true });
    const weather = await source.read(new Date());
    // Falls back to the DS18B20 (23.125 °C); nothing measures humidity or pressure any more.
    expect(Object.keys(weather.main)).toEqual(['temp']);
    expect(weather.main.temp).toBeCloseTo(296.275, 1);
    expect(source.health().problems).toEqual(['iio:device0 (bme280): disappeared']);
  });

  it('skips the reading (retryable) when no sensor gives anything', async () => {
    const source = new SensorsSource(city, tree({ ...CPU }));
    await expect(source.read(new Date())).rejects.toSatisfy((e: unknown) => e instanceof KotsError && e.code === 'SOURCE_FAILED' && e.retryable);
  });
});
