/**
 * The dashboard's questions to the lake, through DuckDB (lakehouse/database.ts
 * views `readings` and `events`): series per city over a period, the
 * city × event heat-map, and the seed of the live state at start.
 *
 * One DuckDB connection answers one query at a time (a queue keeps them in
 * line). The views are built from the files present when they are created, so
 * the database is opened again every `lakeRefreshSeconds`, or at once when the
 * lake had no files yet or a query failed (raw files consolidated away).
 */
import type { LakeDatabase } from '../lakehouse/database.js';
import { EVENTS } from '../consumer/events/catalog.js';
import type { CityConditions, FeedEvent, KnownCity } from './live-state.js';

export const PERIODS = { '1h': 3_600, '6h': 6 * 3_600, '24h': 24 * 3_600, '7d': 7 * 86_400, '30d': 30 * 86_400 } as const;
export type Period = keyof typeof PERIODS;

export function isPeriod(value: unknown): value is Period {
  return typeof value === 'string' && Object.hasOwn(PERIODS, value);
}

/** About this many points per chart, whatever the period. */
const POINTS_PER_CHART = 240;

export interface CitySeries {
  city: string;
  period: Period;
  bucketSeconds: number;
  /** Column arrays, as uPlot takes them: time in seconds since the epoch. */
  t: number[];
  tempC: Array<number | null>;
  windMs: Array<number | null>;
  humidityPct: Array<number | null>;
  events: Array<{ t: number; eventId: number; eventName: string }>;
}

export interface EventHeatmap {
  period: Period;
  cities: Array<{ slug: string; name: string }>;
  events: string[];
  /** counts[city][event], in the order of `cities` and `events`. */
  counts: number[][];
}

export interface LakeSeed {
  cities: Array<{ city: KnownCity; current: CityConditions; perMinute: Array<[number, number]> }>;
  events: FeedEvent[];
}

type Row = Record<string, unknown>;

export class LakeHistory {
  private database: LakeDatabase | undefined;
  private openedAt = 0;
  private empty = true;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly open: () => Promise<LakeDatabase>,
    private readonly refreshMs: number,
  ) {}

  async series(city: string, period: Period, nowMs = Date.now()): Promise<CitySeries> {
    const seconds = PERIODS[period];
    const bucket = Math.max(10, Math.ceil(seconds / POINTS_PER_CHART / 10) * 10);
    const since = nowMs / 1000 - seconds;
    const points = await this.query(
      `SELECT (floor(epoch(current_time_utc) / ?) * ?)::DOUBLE AS t,
              round(avg(main_temp) - 273.15, 2)::DOUBLE AS temp_c,
              round(avg(wind_speed), 2)::DOUBLE AS wind_ms,
              round(avg(main_humidity), 1)::DOUBLE AS humidity_pct
         FROM readings
        WHERE city = ? AND date >= ?::DATE AND epoch(current_time_utc) >= ?
        GROUP BY 1 ORDER BY 1`,
      [bucket, bucket, city, dayOf(since), since],
    );
    const events = await this.query(
      `SELECT epoch(current_time_utc)::DOUBLE AS t, event_id::INTEGER AS event_id, event_name
         FROM events
        WHERE city = ? AND date >= ?::DATE AND epoch(current_time_utc) >= ?
        ORDER BY 1 LIMIT 500`,
      [city, dayOf(since), since],
    );
    return {
      city,
      period,
      bucketSeconds: bucket,
      t: points.map((r) => Number(r.t)),
      tempC: points.map((r) => numberOrNull(r.temp_c)),
      windMs: points.map((r) => numberOrNull(r.wind_ms)),
      humidityPct: points.map((r) => numberOrNull(r.humidity_pct)),
      events: events.map((r) => ({ t: Number(r.t), eventId: Number(r.event_id), eventName: String(r.event_name) })),
    };
  }

  async heatmap(period: Period, nowMs = Date.now()): Promise<EventHeatmap> {
    const since = nowMs / 1000 - PERIODS[period];
    const rows = await this.query(
      `SELECT city, any_value(name) AS name, event_name, count(*)::INTEGER AS n
         FROM events
        WHERE date >= ?::DATE AND epoch(current_time_utc) >= ?
        GROUP BY city, event_name`,
      [dayOf(since), since],
    );
    const cityNames = new Map<string, string>();
    for (const r of rows) cityNames.set(String(r.city), String(r.name ?? r.city));
    const cities = [...cityNames].sort(([a], [b]) => a.localeCompare(b)).map(([slug, name]) => ({ slug, name }));
    const events = EVENTS.map((e) => e.name);
    const counts = cities.map(() => events.map(() => 0));
    for (const r of rows) {
      const ci = cities.findIndex((c) => c.slug === r.city);
      const ei = events.indexOf(String(r.event_name));
      if (ci >= 0 && ei >= 0) counts[ci]![ei] = Number(r.n);
    }
    return { period, cities, events, counts };
  }

  /**
   * What the live state starts from: latest conditions, readings of the last hour, recent events.
   * Devices come from the broker alone (retained status): the lake also holds devices of
   * past simulations and retired hardware, which would only clutter the fleet table.
   */
  async seed(nowMs = Date.now()): Promise<LakeSeed> {
    const hourAgo = nowMs / 1000 - 3600;
    const latest = await this.query(
      `SELECT city, name, country, lat, lon,
              strftime(current_time_utc, '%Y-%m-%dT%H:%M:%S.%gZ') AS observed_at,
              main_temp, main_feels_like, wind_speed, wind_deg, clouds_all, main_humidity,
              weather_main, weather_description, weather_icon
         FROM readings
      QUALIFY row_number() OVER (PARTITION BY city ORDER BY current_time_utc DESC) = 1`,
    );
    const perMinute = await this.query(
      `SELECT city, floor(epoch(current_time_utc) / 60)::DOUBLE AS minute, count(*)::INTEGER AS n
         FROM readings
        WHERE date >= ?::DATE AND epoch(current_time_utc) > ?
        GROUP BY ALL`,
      [dayOf(hourAgo), hourAgo],
    );
    const events = await this.query(
      `SELECT id, city, name, device_id,
              strftime(current_time_utc, '%Y-%m-%dT%H:%M:%S.%gZ') AS observed_at,
              strftime(local_time, '%Y-%m-%dT%H:%M:%S') AS local_time,
              event_id::INTEGER AS event_id, event_name, event_newsflash
         FROM events ORDER BY current_time_utc DESC LIMIT 100`,
    );
    const minutes = new Map<string, Array<[number, number]>>();
    for (const r of perMinute) {
      const list = minutes.get(String(r.city)) ?? [];
      list.push([Number(r.minute), Number(r.n)]);
      minutes.set(String(r.city), list);
    }
    return {
      cities: latest.map((r) => ({
        city: {
          slug: String(r.city),
          name: String(r.name ?? r.city),
          ...(r.country ? { country: String(r.country) } : {}),
          ...(r.lat !== null && r.lon !== null ? { lat: Number(r.lat), lon: Number(r.lon) } : {}),
        },
        current: {
          observedAt: String(r.observed_at),
          tempC: celsius(r.main_temp),
          feelsLikeC: celsius(r.main_feels_like),
          windMs: numberOrNull(r.wind_speed),
          windDeg: numberOrNull(r.wind_deg),
          cloudsPct: numberOrNull(r.clouds_all),
          humidityPct: numberOrNull(r.main_humidity),
          main: stringOrNull(r.weather_main),
          description: stringOrNull(r.weather_description),
          icon: stringOrNull(r.weather_icon),
        },
        perMinute: minutes.get(String(r.city)) ?? [],
      })),
      events: events.map((r) => ({
        readingId: String(r.id),
        city: String(r.city),
        cityName: String(r.name ?? r.city),
        deviceId: String(r.device_id),
        observedAt: String(r.observed_at),
        localTime: String(r.local_time),
        eventId: Number(r.event_id),
        eventName: String(r.event_name),
        newsflash: String(r.event_newsflash ?? ''),
      })),
    };
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      this.database?.close();
      this.database = undefined;
    });
  }

  private query(sql: string, values: Array<string | number> = []): Promise<Row[]> {
    return this.enqueue(async () => {
      try {
        return await this.run(sql, values);
      } catch {
        // The views may point at files that are gone (consolidated, deleted): look again once.
        this.reset();
        return this.run(sql, values);
      }
    });
  }

  private async run(sql: string, values: Array<string | number>): Promise<Row[]> {
    const db = await this.connection();
    const reader = await db.connection.runAndReadAll(sql, values);
    return reader.getRowObjectsJS() as Row[];
  }

  private async connection(): Promise<LakeDatabase> {
    const age = Date.now() - this.openedAt;
    if (this.database && (age > this.refreshMs || (this.empty && age > 2000))) this.reset();
    if (!this.database) {
      this.database = await this.open();
      this.openedAt = Date.now();
      const files = await this.database.connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM (SELECT 1 FROM readings LIMIT 1)');
      this.empty = Number((files.getRowObjectsJS()[0] as Row).n) === 0;
    }
    return this.database;
  }

  private reset(): void {
    this.database?.close();
    this.database = undefined;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function dayOf(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function stringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function celsius(kelvin: unknown): number | null {
  return kelvin === null || kelvin === undefined ? null : Math.round((Number(kelvin) - 273.15) * 10) / 10;
}
