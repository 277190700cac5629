/**
 * The dashboard's questions to the lake, through DuckDB (lakehouse/database.ts
 * views `readings` and `events`): series per city over a period, the
 * city × event heat-map, and the seed of the live state at start.
 *
 * Scanning the lake's Parquet files for every chart would cost seconds, so
 * the dashboard keeps a summary inside its DuckDB instance and answers from
 * it: `dash_minutes` (per city and minute: sums and counts of temperature,
 * wind, humidity) and `dash_events` (the surreal events), both over the last
 * RETENTION_DAYS. The summary is refreshed lazily, when a question comes and
 * it is older than `lakeRefreshSeconds`: the views are rebuilt from a fresh
 * listing of the lake (lakehouse/snapshot.ts) and only yesterday and today are
 * summarised again; the whole window is redone every FULL_REFRESH_MS (late
 * data, consolidation). One question runs at a time (a queue).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENTS } from '../consumer/events/catalog.js';
import type { LakeDatabase } from '../lakehouse/database.js';
import { readSnapshot, type LakeSnapshot } from '../lakehouse/snapshot.js';
import { viewStatements } from '../lakehouse/views.js';
import type { CityConditions, FeedEvent, KnownCity } from './live-state.js';

export const PERIODS = { '1h': 3_600, '6h': 6 * 3_600, '24h': 24 * 3_600, '7d': 7 * 86_400, '30d': 30 * 86_400 } as const;
export type Period = keyof typeof PERIODS;

export function isPeriod(value: unknown): value is Period {
  return typeof value === 'string' && Object.hasOwn(PERIODS, value);
}

/** About this many points per chart, whatever the period; never finer than the summary's minute. */
const POINTS_PER_CHART = 240;
const RETENTION_DAYS = 31;
const FULL_REFRESH_MS = 3_600_000;
const DAY_MS = 86_400_000;

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
type Value = string | number;

const MINUTES_SELECT = `
  SELECT date AS day, city, any_value(name) AS name,
         floor(epoch(current_time_utc) / 60)::BIGINT AS minute,
         count(*)::INTEGER AS n,
         sum(main_temp) AS temp_sum, count(main_temp)::INTEGER AS temp_n,
         sum(wind_speed) AS wind_sum, count(wind_speed)::INTEGER AS wind_n,
         sum(main_humidity) AS hum_sum, count(main_humidity)::INTEGER AS hum_n
    FROM readings WHERE date >= $FROM
   GROUP BY date, city, minute`;

const EVENTS_SELECT = `
  SELECT date AS day, city, name, id, device_id,
         epoch(current_time_utc)::DOUBLE AS t,
         strftime(current_time_utc, '%Y-%m-%dT%H:%M:%S.%gZ') AS observed_at,
         strftime(local_time, '%Y-%m-%dT%H:%M:%S') AS local_time,
         event_id::INTEGER AS event_id, event_name, event_newsflash
    FROM events WHERE date >= $FROM`;

export class LakeHistory {
  private database: LakeDatabase | undefined;
  private refreshedAt = 0;
  private fullAt = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** The newest date= partition in the lake when the summary was last built. */
  private newestDay: string | undefined;

  constructor(
    private readonly open: () => Promise<LakeDatabase>,
    private readonly refreshMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Where a period ends: now, or the newest reading when the lake stops earlier (a simulation
   * of last month, a site offline since yesterday), so its charts show the last data there is
   * instead of an empty window ending now.
   */
  private async periodEnd(): Promise<number> {
    const [row] = await this.query('SELECT max(minute) AS m FROM dash_minutes');
    const newest = row?.m === null || row?.m === undefined ? undefined : (Number(row.m) + 1) * 60;
    return Math.min(this.now() / 1000, newest ?? Infinity);
  }

  async series(city: string, period: Period): Promise<CitySeries> {
    const seconds = PERIODS[period];
    const bucket = Math.max(60, Math.ceil(seconds / POINTS_PER_CHART / 60) * 60);
    const since = (await this.periodEnd()) - seconds;
    const points = await this.query(
      `SELECT (floor(minute * 60 / ?) * ?)::DOUBLE AS t,
              round(sum(temp_sum) / nullif(sum(temp_n), 0) - 273.15, 2)::DOUBLE AS temp_c,
              round(sum(wind_sum) / nullif(sum(wind_n), 0), 2)::DOUBLE AS wind_ms,
              round(sum(hum_sum) / nullif(sum(hum_n), 0), 1)::DOUBLE AS humidity_pct
         FROM dash_minutes WHERE city = ? AND minute * 60 >= ?
        GROUP BY 1 ORDER BY 1`,
      [bucket, bucket, city, since],
    );
    const events = await this.query(
      `SELECT * FROM (SELECT t, event_id, event_name FROM dash_events WHERE city = ? AND t >= ? ORDER BY t DESC LIMIT 500) ORDER BY t`,
      [city, since],
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

  async heatmap(period: Period): Promise<EventHeatmap> {
    const since = (await this.periodEnd()) - PERIODS[period];
    const rows = await this.query(
      `SELECT city, any_value(name) AS name, event_name, count(*)::INTEGER AS n
         FROM dash_events WHERE t >= ? GROUP BY city, event_name`,
      [since],
    );
    const cityNames = new Map<string, string>();
    for (const r of rows) cityNames.set(String(r.city), String(r.name ?? r.city));
    const cities = [...cityNames].sort(([a], [b]) => a.localeCompare(b)).map(([slug, name]) => ({ slug, name }));
    const events = EVENTS.map((e) => e.name);
    const counts = cities.map(() => events.map(() => 0));
    for (const r of rows) {
      const ci = cities.findIndex((c) => c.slug === r.city);
      const ei = events.indexOf(String(r.event_name));
      const row = counts[ci];
      if (row && ei >= 0) row[ei] = Number(r.n);
    }
    return { period, cities, events, counts };
  }

  /**
   * What the live state starts from: latest conditions, readings of the last hour, recent events.
   * Devices come from the broker alone (retained status): the lake also holds devices of
   * past simulations and retired hardware, which would only clutter the fleet table.
   */
  async seed(): Promise<LakeSeed> {
    const hourAgoMinute = Math.floor(this.now() / 60_000) - 60;
    const latest = await this.query(
      `SELECT city, name, country, lat, lon,
              strftime(current_time_utc, '%Y-%m-%dT%H:%M:%S.%gZ') AS observed_at,
              main_temp, main_feels_like, wind_speed, wind_deg, clouds_all, main_humidity,
              weather_main, weather_description, weather_icon
         FROM readings WHERE date >= ?::DATE
      QUALIFY row_number() OVER (PARTITION BY city ORDER BY current_time_utc DESC) = 1`,
      // Conditions older than yesterday would only mislead; a city that speaks again fills its tile.
      [this.firstDay(1)],
    );
    const perMinute = await this.query(`SELECT city, minute::DOUBLE AS minute, sum(n)::INTEGER AS n FROM dash_minutes WHERE minute > ? GROUP BY ALL`, [
      hourAgoMinute,
    ]);
    const events = await this.query(`SELECT * FROM dash_events ORDER BY t DESC LIMIT 100`);
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
    return this.enqueue(async () => this.reset());
  }

  private query(sql: string, values: Value[] = []): Promise<Row[]> {
    return this.enqueue(async () => {
      try {
        return await this.run(sql, values);
      } catch {
        // Files may have gone since the listing (raw files deleted after consolidation): start over once.
        this.reset();
        return this.run(sql, values);
      }
    });
  }

  private async run(sql: string, values: Value[]): Promise<Row[]> {
    const connection = await this.fresh();
    const reader = await connection.runAndReadAll(sql, values);
    return reader.getRowObjectsJS() as Row[];
  }

  /** The connection with views and summary no older than refreshMs. */
  private async fresh(): Promise<DuckDBConnection> {
    const now = this.now();
    if (this.database && now - this.refreshedAt < this.refreshMs) return this.database.connection;
    let snapshot: LakeSnapshot;
    if (!this.database) {
      this.database = await this.open();
      this.fullAt = 0;
      snapshot = this.database.snapshot;
    } else {
      snapshot = await readSnapshot(this.database.lake);
      for (const statement of viewStatements(this.database.lake, snapshot)) await this.database.connection.run(statement.sql);
    }
    // The summary reaches back from the newest day in the lake, not from today: a lake of past data still has charts.
    const newestDay = newestDayOf(snapshot);
    if (newestDay !== this.newestDay) this.fullAt = 0;
    this.newestDay = newestDay;
    const connection = this.database.connection;
    const full = now - this.fullAt >= FULL_REFRESH_MS;
    // Readings arrive late (spools, simulations), so yesterday is summarised again too.
    // (A literal, not a parameter: CREATE TABLE AS takes none; the value is a date this code made.)
    const from = `DATE '${this.firstDay(full ? RETENTION_DAYS : 1)}'`;
    const minutes = MINUTES_SELECT.replace('$FROM', from);
    const events = EVENTS_SELECT.replace('$FROM', from);
    await connection.run('BEGIN TRANSACTION');
    try {
      if (full) {
        await connection.run(`CREATE OR REPLACE TABLE dash_minutes AS ${minutes}`);
        await connection.run(`CREATE OR REPLACE TABLE dash_events AS ${events}`);
      } else {
        await connection.run(`DELETE FROM dash_minutes WHERE day >= ${from}`);
        await connection.run(`INSERT INTO dash_minutes ${minutes}`);
        await connection.run(`DELETE FROM dash_events WHERE day >= ${from}`);
        await connection.run(`INSERT INTO dash_events ${events}`);
      }
      await connection.run('COMMIT');
    } catch (error) {
      await connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
    if (full) this.fullAt = now;
    // Counted from the end: a refresh slower than refreshMs must not make every question refresh again.
    this.refreshedAt = this.now();
    return connection;
  }

  private firstDay(daysBack: number): string {
    const newest = this.newestDay ? Date.parse(`${this.newestDay}T00:00:00Z`) + DAY_MS : Infinity;
    return new Date(Math.min(this.now(), newest) - daysBack * DAY_MS).toISOString().slice(0, 10);
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

function numberOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function stringOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function celsius(kelvin: unknown): number | null {
  return kelvin === null || kelvin === undefined ? null : Math.round((Number(kelvin) - 273.15) * 10) / 10;
}

/** The newest date=YYYY-MM-DD among the lake's files (from their keys: no file is read). */
function newestDayOf(snapshot: LakeSnapshot): string | undefined {
  let newest: string | undefined;
  for (const key of [...snapshot.rawFiles, ...snapshot.settledParts, ...snapshot.touchedParts]) {
    const day = /\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
    if (day && (newest === undefined || day > newest)) newest = day;
  }
  return newest;
}
