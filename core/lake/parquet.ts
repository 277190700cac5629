/**
 * Encodes readings as Parquet with DuckDB (zstd, timestamps in microseconds,
 * which every engine reads). DuckDB is already how the lake is queried, so the
 * files are written by the same engine that reads them.
 *
 * A batch reaches DuckDB as the readings' own JSON text, one line each, beside
 * the few values only the consumer knows (Kafka position, event label, the UTC
 * instant and date it already computed): DuckDB's JSON reader takes the
 * weather columns out of the text with explicit types and a single
 * `COPY … PARTITION_BY (date, city)` writes every (date, city) file of the
 * batch. Flattening each reading into column arrays in JavaScript and
 * serialising them again cost about 10 µs a reading and held the batch twice
 * (bench/README.md); DuckDB reads newline-delimited JSON a buffer at a time.
 *
 * The column mapping below is the SQL twin of `flattenReading` (columns.ts);
 * test/consumer/lake-writer.test.ts checks that both give the same values.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { KotsError } from '../errors.js';
import type { Reading } from '../reading.js';
import { type EventLabel, type RecordPosition, WEATHER_COLUMNS, type WeatherColumn } from './columns.js';

/** The fields of a reading the lake keeps, as DuckDB reads them from its JSON text (unknown keys are ignored). */
const READING_STRUCT = `STRUCT(
  id VARCHAR, device_id VARCHAR, source VARCHAR, seq BIGINT, city STRUCT(slug VARCHAR, name VARCHAR),
  weather STRUCT(
    coord STRUCT(lon DOUBLE, lat DOUBLE),
    weather STRUCT(id INTEGER, main VARCHAR, description VARCHAR, icon VARCHAR)[],
    main STRUCT(temp DOUBLE, feels_like DOUBLE, temp_min DOUBLE, temp_max DOUBLE, pressure DOUBLE, humidity DOUBLE),
    visibility DOUBLE, wind STRUCT(speed DOUBLE, deg DOUBLE, gust DOUBLE), clouds STRUCT("all" DOUBLE),
    rain STRUCT("1h" DOUBLE), snow STRUCT("1h" DOUBLE), sys STRUCT(country VARCHAR), timezone INTEGER))`.replace(/\s+/g, ' ');

/**
 * One line of a batch: `r` the reading's text, `e` its event id, `o` the Kafka offset, `k` the Kafka
 * timestamp and `u` the observed instant (microseconds since the epoch), `d` its UTC date.
 */
const LINE_COLUMNS = `{r: '${READING_STRUCT}', e: 'SMALLINT', o: 'BIGINT', k: 'BIGINT', u: 'BIGINT', d: 'VARCHAR'}`;

/** Each lake column as SQL over a line (`flattenReading`'s twin); the schema defaults (no weather list, timezone 0) included. */
function columnSql(topic: string, partition: number, events: ReadonlyMap<number, EventLabel>): Record<WeatherColumn, string> {
  const label = (field: 'name' | 'description' | 'newsflash') =>
    `CASE e ${[...events].map(([id, event]) => `WHEN ${id} THEN ${sqlString(event[field])}`).join(' ')} END`;
  const timezone = 'coalesce(r.weather.timezone, 0)';
  return {
    id: 'r.id',
    device_id: 'r.device_id',
    source: 'r.source',
    seq: 'r.seq',
    city_slug: 'r.city.slug',
    name: 'r.city.name',
    country: 'r.weather.sys.country',
    lat: 'r.weather.coord.lat',
    lon: 'r.weather.coord.lon',
    current_time_utc: 'make_timestamp(u)',
    local_time: `make_timestamp(u + ${timezone}::BIGINT * 1000000)`,
    timezone,
    weather_id: 'r.weather.weather[1].id',
    weather_main: 'r.weather.weather[1].main',
    weather_description: 'r.weather.weather[1].description',
    weather_icon: 'r.weather.weather[1].icon',
    main_temp: 'r.weather.main.temp',
    main_feels_like: 'r.weather.main.feels_like',
    main_temp_min: 'r.weather.main.temp_min',
    main_temp_max: 'r.weather.main.temp_max',
    main_pressure: 'r.weather.main.pressure',
    main_humidity: 'r.weather.main.humidity',
    visibility: 'r.weather.visibility',
    wind_speed: 'r.weather.wind.speed',
    wind_deg: 'r.weather.wind.deg',
    wind_gust: 'r.weather.wind.gust',
    clouds_all: 'r.weather.clouds."all"',
    rain_1h: 'r.weather.rain."1h"',
    snow_1h: 'r.weather.snow."1h"',
    event_id: 'e',
    event_name: label('name'),
    event_description: label('description'),
    event_newsflash: label('newsflash'),
    kafka_topic: sqlString(topic),
    kafka_partition: String(partition),
    kafka_offset: 'o',
    kafka_timestamp: 'make_timestamp(k)',
  };
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const DAY_MS = 86_400_000;

/** The readings of one partition batch as DuckDB will read them, with each (date, city)'s offsets. */
export class ReadingLines {
  /**
   * Lines by (date, city), each in the order added: DuckDB reads one group after another, so it
   * can finish each file before starting the next instead of holding every file open at once.
   */
  readonly groups = new Map<string, string[]>();
  private count = 0;
  /** Event labels by id (a rule set gives one label per id). */
  readonly events = new Map<number, EventLabel>();
  private readonly days = new Map<number, string>();

  get length(): number {
    return this.count;
  }

  /**
   * Adds a validated reading given as the text it was parsed from; returns its partition date
   * (YYYY-MM-DD, the UTC date it was observed).
   */
  add(text: string, reading: Reading, position: RecordPosition, event: EventLabel): string {
    const observedMs = Date.parse(reading.observed_at);
    const day = Math.floor(observedMs / DAY_MS);
    let date = this.days.get(day);
    if (date === undefined) {
      date = new Date(day * DAY_MS).toISOString().slice(0, 10);
      this.days.set(day, date);
    }
    const known = this.events.get(event.id);
    if (!known) this.events.set(event.id, event);
    else if (known !== event && (known.name !== event.name || known.description !== event.description || known.newsflash !== event.newsflash)) {
      throw new KotsError('LAKE_INCONSISTENT', `event ${event.id} has two labels in one batch ("${known.name}", "${event.name}")`);
    }
    const key = `${date}/${reading.city.slug}`;
    let group = this.groups.get(key);
    if (!group) {
      group = [];
      this.groups.set(key, group);
    }
    group.push(
      `{"r":${oneLine(text)},"e":${event.id},"o":${position.offset},"k":${position.timestamp.getTime() * 1000},"u":${observedMs * 1000},"d":"${date}"}`,
    );
    this.count++;
    return date;
  }
}

/**
 * JSON text as one line: outside strings a line break is only whitespace (inside them JSON
 * allows none), so it becomes a space; a byte-order mark (TextDecoder drops it) goes too.
 */
function oneLine(text: string): string {
  const start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = start ? text.slice(start) : text;
  return body.includes('\n') || body.includes('\r') ? body.replace(/[\r\n]/g, ' ') : body;
}

/** One Parquet file of a batch: the rows of one (date, city). */
export interface DateCityParquet {
  date: string;
  city: string;
  body: Uint8Array;
}

export class ParquetEncoder {
  /** The DuckDB the next batch is encoded in, opened while the batch before it is still being gathered. */
  private spare: Promise<DuckDBInstance> | undefined;
  private closed = false;
  private encoding = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param concurrency batches encoded at the same time: each holds its rows in DuckDB while it
   * runs, so this bounds the encoder's memory; the uploads that follow overlap freely.
   */
  constructor(private readonly concurrency = 1) {}

  /**
   * Each batch is encoded in a DuckDB of its own, closed after it: one instance kept for every
   * batch grew by about 8 MiB a batch (96 MiB over 12 batches; duckdb_memory() showing none of
   * it), a fresh one stays at its first batch's size. Opening one costs about 4 µs a reading, and
   * it happens while the next batch is read. One thread per query: the consumer runs beside Kafka
   * and S3 clients on small machines.
   */
  private takeInstance(): Promise<DuckDBInstance> {
    const instance = this.spare ?? openInstance();
    this.spare = undefined;
    return instance;
  }

  private prepareNext(): void {
    if (this.closed || this.spare) return;
    this.spare = openInstance();
    this.spare.catch(() => undefined); // an error surfaces when the next batch takes it
  }

  /**
   * One Parquet file per (date, city) of the batch, written in one pass. The files hold the
   * weather columns in order, rows in the order they were added; `date` and `city` are only in
   * the path, as in the lake.
   */
  async encodeByDateAndCity(batch: ReadingLines, topic: string, partition: number): Promise<DateCityParquet[]> {
    while (this.encoding >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.encoding++;
    const dir = await mkdtemp(join(tmpdir(), 'kots-batch-'));
    try {
      const input = join(dir, 'batch.ndjson');
      await writeLines(input, batch.groups.values());
      const sql = columnSql(topic, partition, batch.events);
      const select = WEATHER_COLUMNS.map(([name, type]) => `(${sql[name]})::${type} AS ${name}`).join(', ');
      const out = join(dir, 'out');
      const instance = await this.takeInstance();
      const connection = await instance.connect();
      try {
        // The whole batch is partitioned in one flush, so no file is opened twice, and each file is
        // finished as soon as the next one opens: DuckDB's memory is one file's, not the batch's (a
        // 5,000-reading backfill batch spans some 36 files, about 45 MiB when all are open).
        await connection.run(`SET partitioned_write_flush_threshold = ${batch.length + 1}; SET partitioned_write_max_open_files = 1`);
        await connection.run(
          `COPY (SELECT ${select}, d AS date, r.city.slug AS city FROM read_json('${input}', format = 'newline_delimited', columns = ${LINE_COLUMNS})) ` +
            `TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date, city))`,
        );
      } finally {
        connection.closeSync();
        instance.closeSync();
        this.prepareNext();
      }
      return await readPartitions(out);
    } finally {
      await rm(dir, { recursive: true, force: true });
      this.encoding--;
      this.waiting.shift()?.();
    }
  }

  close(): void {
    this.closed = true;
    void this.spare?.then((instance) => instance.closeSync()).catch(() => undefined);
    this.spare = undefined;
  }
}

function openInstance(): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', { threads: '1' });
}

/** Writes the lines a group at a time, so the batch is never one string as large as itself. */
async function writeLines(file: string, groups: Iterable<readonly string[]>): Promise<void> {
  const out = createWriteStream(file);
  for (const lines of groups) {
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await finished(out);
}

async function readPartitions(out: string): Promise<DateCityParquet[]> {
  const files: DateCityParquet[] = [];
  for (const dateDir of await readdir(out)) {
    for (const cityDir of await readdir(join(out, dateDir))) {
      const parts = await readdir(join(out, dateDir, cityDir));
      const [part] = parts;
      if (parts.length !== 1 || part === undefined)
        throw new KotsError('LAKE_INCONSISTENT', `DuckDB wrote ${parts.length} files for ${dateDir}/${cityDir}; expected one`);
      files.push({ date: hiveValue(dateDir, 'date'), city: hiveValue(cityDir, 'city'), body: await readFile(join(out, dateDir, cityDir, part)) });
    }
  }
  return files;
}

function hiveValue(segment: string, key: string): string {
  const prefix = `${key}=`;
  if (!segment.startsWith(prefix)) throw new KotsError('LAKE_INCONSISTENT', `unexpected partition folder ${segment}`);
  return decodeURIComponent(segment.slice(prefix.length));
}
