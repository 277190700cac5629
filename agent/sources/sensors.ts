/**
 * The sensors source: the device's own measurements from sysfs (sysfs.ts),
 * the first plausible value of each quantity (IIO, then 1-Wire, then hwmon),
 * put into the OpenWeather field each one fills. The host's health (CPU
 * temperature, load, memory, disk, uptime) comes from systeminformation and
 * goes into the health message, since it is not weather.
 */
import si from 'systeminformation';
import { KotsError } from '../../core/errors.js';
import type { CurrentWeather } from '../../core/reading.js';
import type { ResolvedCity } from '../cities.js';
import { scanSysfs, type Quantity } from './sysfs.js';
import type { SourceHealth, WeatherSource } from './source.js';

const KELVIN = 273.15;
/** systeminformation shells out for some values; once a minute is plenty for health. */
const HOST_REFRESH_MS = 60_000;

export interface HostHealth {
  cpuTemperatureC?: number;
  load1?: number;
  cpuLoadPercent?: number;
  memoryUsedPercent?: number;
  diskUsedPercent?: number;
  uptimeSeconds?: number;
}

export class SensorsSource implements WeatherSource {
  readonly kind = 'sensors' as const;
  private known = new Set<string>();
  private problems: string[] = [];
  private used: Partial<Record<Quantity, string>> = {};
  private host: HostHealth = {};
  private hostReadAt = 0;

  constructor(
    private readonly city: ResolvedCity,
    private readonly sysfsRoot: string,
  ) {}

  async read(at: Date): Promise<CurrentWeather> {
    const scan = scanSysfs(this.sysfsRoot);
    const problems = [...scan.problems];
    for (const sensor of this.known) if (!scan.sensors.includes(sensor)) problems.push(`${sensor}: disappeared`);
    for (const sensor of scan.sensors) this.known.add(sensor);
    this.problems = problems;
    const pick = (quantity: Quantity) => scan.values.find((v) => v.quantity === quantity);
    const temperature = pick('temperature');
    const humidity = pick('humidity');
    const pressure = pick('pressure');
    this.used = Object.fromEntries([temperature, humidity, pressure].filter((v) => v !== undefined).map((v) => [v.quantity, v.sensor]));
    await this.refreshHost();
    if (!temperature && !humidity && !pressure) {
      throw new KotsError(
        'SOURCE_FAILED',
        `no sensor gave a value under ${this.sysfsRoot} (agent.sysfsRoot)${problems.length ? `: ${problems.join('; ')}` : ''}`,
        { retryable: true },
      );
    }
    return {
      coord: { lon: this.city.lon, lat: this.city.lat },
      // Sensors measure; they do not classify the sky.
      weather: [],
      base: 'sensors',
      main: {
        ...(temperature ? { temp: Number((temperature.value + KELVIN).toFixed(2)) } : {}),
        ...(humidity ? { humidity: Number(humidity.value.toFixed(1)) } : {}),
        ...(pressure ? { pressure: Number(pressure.value.toFixed(2)) } : {}),
      },
      dt: Math.floor(at.getTime() / 1000),
      timezone: this.city.timezone,
      name: this.city.name,
    };
  }

  health(): SourceHealth {
    return { problems: this.problems, sensors: [...this.known], used: this.used, host: this.host };
  }

  async close(): Promise<void> {}

  private async refreshHost(): Promise<void> {
    if (Date.now() - this.hostReadAt < HOST_REFRESH_MS) return;
    this.hostReadAt = Date.now();
    const settled = await Promise.allSettled([si.cpuTemperature(), si.currentLoad(), si.mem(), si.fsSize()]);
    const [cpu, load, mem, disks] = settled.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as [
      si.Systeminformation.CpuTemperatureData | undefined,
      si.Systeminformation.CurrentLoadData | undefined,
      si.Systeminformation.MemData | undefined,
      si.Systeminformation.FsSizeData[] | undefined,
    ];
    const root = disks?.find((d) => d.mount === '/') ?? disks?.[0];
    const time = si.time();
    this.host = {
      ...(cpu && typeof cpu.main === 'number' && cpu.main > 0 ? { cpuTemperatureC: cpu.main } : {}),
      ...(load ? { cpuLoadPercent: Number(load.currentLoad.toFixed(1)), load1: Number(load.avgLoad?.toFixed?.(2) ?? load.avgLoad) } : {}),
      ...(mem ? { memoryUsedPercent: Number(((mem.active / mem.total) * 100).toFixed(1)) } : {}),
      ...(root ? { diskUsedPercent: Number(root.use?.toFixed?.(1) ?? root.use) } : {}),
      uptimeSeconds: Math.round(Number(time.uptime)),
    };
  }
}
