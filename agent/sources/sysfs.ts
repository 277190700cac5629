/**
 * Reads the Linux sysfs files that kernel drivers expose for environmental
 * sensors, under a configurable root (tests lay out a tree like the real one):
 *
 *  - IIO (BME280, BMP280, DHT11/22, SHT3x ...): bus/iio/devices/iio:deviceN/
 *    in_temp_input (m°C), in_humidityrelative_input (m%), in_pressure_input (kPa),
 *    or the *_raw, *_scale, *_offset triplets (value = (raw + offset) * scale).
 *  - 1-Wire DS18B20: bus/w1/devices/28-* /temperature (m°C) or w1_slave
 *    ("... crc=xx YES" then "t=23125").
 *  - hwmon: class/hwmon/hwmonN/name, temp*_input (m°C), humidity*_input (m%);
 *    CPU and disk chips are host health, not weather, and are skipped here.
 *
 * Nothing here throws for a sensor: a missing file is "no value", a value
 * outside what the quantity can be is reported as garbage.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Quantity = 'temperature' | 'humidity' | 'pressure';

export interface SensorValue {
  /** Where it came from, e.g. "iio:device0 (bme280)". */
  sensor: string;
  quantity: Quantity;
  /** °C, % or hPa. */
  value: number;
}

export interface SysfsScan {
  values: SensorValue[];
  /** Sensors seen, by name (for "disappeared" reports). */
  sensors: string[];
  problems: string[];
}

/** Plausible ranges on Earth's surface; outside them a reading is garbage. */
const PLAUSIBLE: Record<Quantity, [number, number]> = { temperature: [-60, 70], humidity: [0, 100], pressure: [300, 1100] };

/** hwmon chips that measure the host, not the air. */
const HOST_CHIPS =
  /^(cpu_thermal|coretemp|k10temp|k8temp|acpitz|nvme|amdgpu|radeon|nouveau|soc_thermal|rp1_adc|pch_|iwlwifi|drivetemp|bat|thinkpad|dell_smm|applesmc)/;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function readNumber(path: string): number | undefined {
  const text = readText(path);
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
}

/** hwmon files hold thousandths (millidegrees, milli-percent); an empty file reads as NaN, which is reported as unreadable. */
function thousandths(path: string): number {
  return (readNumber(path) ?? Number.NaN) / 1000;
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** An IIO channel: *_input when the driver offers it, else (raw + offset) * scale. */
function iioChannel(dir: string, channel: string): number | undefined {
  const input = readNumber(join(dir, `in_${channel}_input`));
  if (input !== undefined) return input;
  const raw = readNumber(join(dir, `in_${channel}_raw`));
  if (raw === undefined) return undefined;
  const scale = readNumber(join(dir, `in_${channel}_scale`)) ?? 1;
  const offset = readNumber(join(dir, `in_${channel}_offset`)) ?? 0;
  return (raw + offset) * scale;
}

export function scanSysfs(root: string): SysfsScan {
  const scan: SysfsScan = { values: [], sensors: [], problems: [] };
  const add = (sensor: string, quantity: Quantity, value: number | undefined) => {
    if (value === undefined) return;
    const [low, high] = PLAUSIBLE[quantity];
    if (!Number.isFinite(value) || value < low || value > high) {
      scan.problems.push(`${sensor}: ${quantity} ${Number.isFinite(value) ? value : 'unreadable'} is not plausible; ignored`);
      return;
    }
    scan.values.push({ sensor, quantity, value });
  };

  const iioRoot = join(root, 'bus/iio/devices');
  for (const name of list(iioRoot).filter((n) => n.startsWith('iio:device'))) {
    const dir = join(iioRoot, name);
    const sensor = `${name} (${readText(join(dir, 'name')) ?? 'unknown'})`;
    scan.sensors.push(sensor);
    const temp = iioChannel(dir, 'temp');
    const humidity = iioChannel(dir, 'humidityrelative');
    const pressure = iioChannel(dir, 'pressure');
    // IIO ABI units: milli °C, milli percent, kilopascal.
    add(sensor, 'temperature', temp === undefined ? undefined : temp / 1000);
    add(sensor, 'humidity', humidity === undefined ? undefined : humidity / 1000);
    add(sensor, 'pressure', pressure === undefined ? undefined : pressure * 10);
  }

  const w1Root = join(root, 'bus/w1/devices');
  for (const name of list(w1Root).filter((n) => n.startsWith('28-'))) {
    const sensor = `w1 ${name} (ds18b20)`;
    scan.sensors.push(sensor);
    const dir = join(w1Root, name);
    let milli = readNumber(join(dir, 'temperature'));
    if (milli === undefined) {
      const slave = readText(join(dir, 'w1_slave'));
      if (slave === undefined) {
        scan.problems.push(`${sensor}: no temperature or w1_slave file`);
        continue;
      }
      if (!/crc=[0-9a-f]{2} YES/i.test(slave)) {
        scan.problems.push(`${sensor}: CRC check failed (bad wiring or pull-up?)`);
        continue;
      }
      const match = /t=(-?\d+)/.exec(slave);
      milli = match ? Number(match[1]) : Number.NaN;
    }
    if (milli === 85_000) {
      // 85 °C is the DS18B20's power-on value: the conversion did not run.
      scan.problems.push(`${sensor}: reads its power-on value 85 °C; ignored`);
      continue;
    }
    add(sensor, 'temperature', milli / 1000);
  }

  const hwmonRoot = join(root, 'class/hwmon');
  for (const name of list(hwmonRoot).filter((n) => n.startsWith('hwmon'))) {
    const dir = join(hwmonRoot, name);
    const chip = readText(join(dir, 'name')) ?? 'unknown';
    if (HOST_CHIPS.test(chip)) continue;
    const sensor = `${name} (${chip})`;
    scan.sensors.push(sensor);
    const files = list(dir);
    const temp = files.find((f) => /^temp\d+_input$/.test(f));
    const humidity = files.find((f) => /^humidity\d+_input$/.test(f));
    if (temp) add(sensor, 'temperature', thousandths(join(dir, temp)));
    if (humidity) add(sensor, 'humidity', thousandths(join(dir, humidity)));
  }
  return scan;
}
