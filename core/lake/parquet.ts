/**
 * Encodes weather rows as Parquet with DuckDB (zstd, timestamps in
 * microseconds, which every engine reads). DuckDB is already how the lake is
 * queried, so the files are written by the same engine that reads them.
 *
 * A batch travels to DuckDB in one piece: its rows are kept column by column
 * (plain arrays of strings and numbers), serialised as one JSON object of
 * arrays, and a single `COPY … PARTITION_BY (date, city)` writes every
 * (date, city) file of the batch. Appending value by value through the
 * Appender cost about 100 µs a row here, most of it crossing into native code
 * once per value; the one-pass copy costs a fraction of that (bench/README.md).
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { KotsError } from '../errors.js';
import { WEATHER_COLUMNS, type WeatherRow } from './columns.js';
import { utcDate } from './layout.js';

/** Timestamps go to DuckDB as microseconds since the epoch, the unit the Parquet files keep. */
type ColumnValue = string | number | null;

/** Rows of a batch held column by column, with the UTC date that partitions them. */
export class WeatherColumns {
  readonly columns: ColumnValue[][] = WEATHER_COLUMNS.map(() => []);
  readonly dates: string[] = [];

  get length(): number {
    return this.dates.length;
  }

  /** Adds a row; returns its partition date (YYYY-MM-DD, UTC date of current_time_utc). */
  push(row: WeatherRow): string {
    for (const [i, [name]] of WEATHER_COLUMNS.entries()) this.columns[i]?.push(columnValue(row[name]));
    const date = utcDate(row.current_time_utc as Date);
    this.dates.push(date);
    return date;
  }

  static of(rows: readonly WeatherRow[]): WeatherColumns {
    const columns = new WeatherColumns();
    for (const row of rows) columns.push(row);
    return columns;
  }

  toJSON(): Record<string, ColumnValue[] | string[]> {
    const out: Record<string, ColumnValue[] | string[]> = { date: this.dates };
    for (const [i, [name]] of WEATHER_COLUMNS.entries()) out[name] = this.columns[i] ?? [];
    return out;
  }
}

function columnValue(value: WeatherRow[keyof WeatherRow]): ColumnValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime() * 1000;
  if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new KotsError('LAKE_INCONSISTENT', `value ${value} is too large for the Parquet encoder's JSON transport`);
    }
    return Number(value);
  }
  return value;
}

/** One Parquet file of a batch: the rows of one (date, city). */
export interface DateCityParquet {
  date: string;
  city: string;
  body: Uint8Array;
}

const JSON_TYPES = WEATHER_COLUMNS.map(([name, type]) => `${name}: '${type === 'TIMESTAMP' ? 'BIGINT' : type}[]'`).join(', ');
/** Unnesting every list in one SELECT zips them: row i takes element i of each column. */
const ROWS_SELECT = [
  ...WEATHER_COLUMNS.map(([name, type]) => (type === 'TIMESTAMP' ? `make_timestamp(unnest(${name})) AS ${name}` : `unnest(${name}) AS ${name}`)),
  'unnest(date) AS date',
].join(', ');

export class ParquetEncoder {
  private instance: Promise<DuckDBInstance> | undefined;
  private encoding = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param concurrency batches encoded at the same time: each holds its rows in DuckDB while it
   * runs, so this bounds the encoder's memory; the uploads that follow overlap freely.
   */
  constructor(private readonly concurrency = 1) {}

  private db(): Promise<DuckDBInstance> {
    // One thread per query (the consumer runs beside Kafka and S3 clients on small machines), and
    // memory handed back to the system after each batch instead of kept for the next one.
    this.instance ??= DuckDBInstance.create(':memory:', { threads: '1', allocator_flush_threshold: '16MB' });
    return this.instance;
  }

  /** One Parquet file holding all the rows, in order. */
  async encode(rows: readonly WeatherRow[]): Promise<Uint8Array> {
    return this.withBatch(WeatherColumns.of(rows), async (run, source, dir) => {
      const file = join(dir, 'rows.parquet');
      await run(`COPY (SELECT * EXCLUDE (date) FROM ${source}) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
      return readFile(file);
    });
  }

  /**
   * One Parquet file per (date, city) of the batch, written in one pass. The
   * files hold the weather columns in order; `date` and `city` are only in
   * the path, as in the lake.
   */
  async encodeByDateAndCity(batch: WeatherColumns): Promise<DateCityParquet[]> {
    return this.withBatch(batch, async (run, source, dir) => {
      const out = join(dir, 'out');
      await run(`COPY (SELECT *, city_slug AS city FROM ${source}) TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date, city))`);
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
    });
  }

  /** Hands `work` (at most `concurrency` at a time) a SQL relation of the batch's rows (weather columns and `date`) and a scratch folder. */
  private async withBatch<T>(batch: WeatherColumns, work: (run: (sql: string) => Promise<unknown>, source: string, dir: string) => Promise<T>): Promise<T> {
    while (this.encoding >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.encoding++;
    try {
      return await this.encodeInScratch(batch, work);
    } finally {
      this.encoding--;
      this.waiting.shift()?.();
    }
  }

  private async encodeInScratch<T>(
    batch: WeatherColumns,
    work: (run: (sql: string) => Promise<unknown>, source: string, dir: string) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), 'kots-batch-'));
    const connection = await (await this.db()).connect();
    try {
      const text = JSON.stringify(batch);
      const input = join(dir, 'batch.json');
      await writeFile(input, text);
      const source = `(SELECT ${ROWS_SELECT} FROM read_json('${input}', format = 'unstructured', maximum_object_size = ${Buffer.byteLength(text) + 1024}, columns = {${JSON_TYPES}, date: 'VARCHAR[]'}))`;
      return await work((sql) => connection.run(sql), source, dir);
    } finally {
      connection.closeSync();
      await rm(dir, { recursive: true, force: true });
    }
  }

  close(): void {
    void this.instance?.then((i) => i.closeSync());
    this.instance = undefined;
  }
}

function hiveValue(segment: string, key: string): string {
  const prefix = `${key}=`;
  if (!segment.startsWith(prefix)) throw new KotsError('LAKE_INCONSISTENT', `unexpected partition folder ${segment}`);
  return decodeURIComponent(segment.slice(prefix.length));
}
