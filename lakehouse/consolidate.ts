/**
 * Consolidation of days: the raw Parquet files the consumer wrote become one
 * de-duplicated part file per (date, city), sorted by time, in one DuckDB pass
 * over all the inputs of the days at hand.
 *
 * Steps, each safe to crash after (manifest.ts explains what readers see):
 *  0. take each day's lease (lease.ts): one consolidation of a day at a time;
 *  1. list each day's raw files and its consolidated folder once, read the
 *     cities' manifests;
 *  2. remove part files no manifest names (superseded by the previous run,
 *     so readers had a whole run interval to finish with them, or left by an
 *     interrupted run);
 *  3. one DuckDB query reads every input once (each partition's current part
 *     plus the raw files it does not cover), keeps the first copy of each
 *     reading id in stream order (lowest kafka_partition, kafka_offset: its
 *     event label is the original) and sorts by date, city and time into a
 *     temporary table; one COPY … PARTITION_BY (date, city) writes every
 *     partition's file locally; each is uploaded in one PUT (atomic on S3;
 *     write-fsync-rename on a folder) under a name that hashes the covered raw
 *     keys, so a re-run writes the very same object;
 *  4. verification by row counts: rows written = distinct ids of the
 *     partition's inputs (≥ the previous part's), and the uploaded object's
 *     footer says the same (its bytes are checksummed by the upload itself);
 *  5. the manifests are written: from here readers use the new parts; raw
 *     objects now covered are tagged as consolidated (S3 lifecycle);
 *  6. once a day is older than the retention, raw files the manifests cover
 *     are removed, after checking again that the parts hold every id in them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, type DuckDBInstance } from '@duckdb/node-api';
import { KotsError } from '../core/errors.js';
import type { Lake } from '../core/lake/index.js';
import { CONSOLIDATED_WEATHER_PREFIX, RAW_WEATHER_PREFIX } from '../core/lake/layout.js';
import { sqlString } from './duckdb.js';
import { acquireLease, type Lease } from './lease.js';
import { encodeManifest, manifestKey, MANIFEST_NAME, partFileName, partKey, readManifestAt, type ConsolidationManifest, type PartitionId } from './manifest.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const UPLOADS_AT_ONCE = 4;
/** Days leased and listed together by one run of consolidateDays. */
const DAYS_PER_RUN = 31;
/** Raw rows (with duplicates) one DuckDB pass holds in its temporary table: about 1 GB at most. */
const MAX_ROWS_PER_PASS = 4_000_000;

export type ConsolidationStep = 'listed' | 'superseded-removed' | 'part-written' | 'verified' | 'manifest-written' | 'raw-removed';

export interface ConsolidateOptions {
  lake: Lake;
  connection: DuckDBConnection;
  /**
   * The connection's instance: when given, the write step runs one COPY per DuckDB thread on
   * connections of its own, each writing a contiguous share of the partitions with one thread.
   */
  instance?: DuckDBInstance;
  /** Raw files of a day are removed once this many hours have passed since the day ended (UTC). */
  retentionHours: number;
  now?: Date;
  /** Time to live of the day's lease (lease.ts); renewed while the run goes on. */
  leaseMs?: number;
  /** Called after each step, for progress output; the run waits for a returned promise. */
  onStep?: (partition: PartitionId, step: ConsolidationStep, detail: string) => void | Promise<void>;
}

export interface PartitionResult extends PartitionId {
  status: 'consolidated' | 'unchanged' | 'empty';
  /** Part file key readers use after this run (none when the partition is empty). */
  part?: string;
  rows: number;
  /** Raw files the part covers, and how many of them were new in this run. */
  coveredRaw: number;
  newRaw: number;
  /** Rows read from the inputs (with duplicates) in this run. */
  inputRows: number;
  removedRaw: number;
  removedParts: number;
  elapsedMs: number;
}

/** The day's lease object: beside the cities' folders, never read as data (no city=, not a manifest). */
export const leaseKey = (date: string) => `${CONSOLIDATED_WEATHER_PREFIX}date=${date}/_lease.json`;

const HIVE_CITY = /\/city=([a-z0-9-]+)\//;
const files = (lake: Lake, keys: readonly string[]) => `[${keys.map((k) => sqlString(lake.duckdbPath(k))).join(', ')}]`;
// City from the path (raw files and parts live under city=<slug>/), typed, so a slug like "2046" stays text.
const readWithCity = (lake: Lake, keys: readonly string[], columns = '*') =>
  `(SELECT ${columns} FROM read_parquet(${files(lake, keys)}, hive_partitioning = true, hive_types = {'date': DATE, 'city': VARCHAR}, union_by_name = true))`;

interface CityState extends PartitionId {
  raw: string[];
  previous?: ConsolidationManifest;
  /** Parquet objects in the city's consolidated folder. */
  parts: string[];
  removedParts: number;
  next?: ConsolidationManifest;
  fresh: string[];
  inputRows: number;
  removedRaw: number;
}

/** The part planned for a city in this run; it is set before the city's upload, so a missing one is a bug here. */
function planned(c: CityState): ConsolidationManifest {
  if (!c.next) throw new Error(`consolidation of ${c.date}/${c.city}: no part was planned before its upload`);
  return c.next;
}

/** What a run did with one day: a result per city, or why the day failed. */
export interface DayOutcome {
  date: string;
  results?: PartitionResult[];
  error?: Error;
}

/**
 * Several days, in as few DuckDB passes as memory allows: up to DAYS_PER_RUN days are leased and
 * listed together, and their inputs go through one query per MAX_ROWS_PER_PASS raw rows. A day
 * that fails is retried alone, so it cannot hold the others back; its outcome carries the error.
 */
export async function consolidateDays(options: ConsolidateOptions, dates: readonly string[], city?: string): Promise<DayOutcome[]> {
  const outcomes: DayOutcome[] = [];
  for (let i = 0; i < dates.length; i += DAYS_PER_RUN) {
    const batch = dates.slice(i, i + DAYS_PER_RUN);
    try {
      outcomes.push(...(await consolidateBatch(options, batch, city)));
    } catch (error) {
      for (const date of batch) {
        if (batch.length === 1) {
          outcomes.push({ date, error: error as Error });
          continue;
        }
        try {
          outcomes.push(...(await consolidateBatch(options, [date], city)));
        } catch (alone) {
          outcomes.push({ date, error: alone as Error });
        }
      }
    }
  }
  return outcomes;
}

/** Consolidates every city of a day (or one city); one result per city. */
export async function consolidateDay(options: ConsolidateOptions, date: string, city?: string): Promise<PartitionResult[]> {
  const [outcome] = await consolidateDays(options, [date], city);
  if (outcome?.error) throw outcome.error;
  if (!outcome?.results) throw new Error(`consolidation of ${date} gave no outcome`);
  return outcome.results;
}

async function consolidateBatch(options: ConsolidateOptions, dates: readonly string[], city?: string): Promise<DayOutcome[]> {
  const started = Date.now();
  const leases = new Map<string, Lease>();
  try {
    for (const date of dates) leases.set(date, await acquireLease(options.lake, leaseKey(date), { ...(options.leaseMs ? { ttlMs: options.leaseMs } : {}) }));
    const fence = async (cities: readonly PartitionId[]) => {
      for (const date of new Set(cities.map((c) => c.date))) {
        const lease = leases.get(date);
        if (!lease) throw new Error(`consolidation: no lease held for ${date}`);
        await lease.fence();
      }
    };
    const cities = (await Promise.all(dates.map((date) => listDay(options, date, city)))).flat();
    for (const c of cities) await options.onStep?.(c, 'listed', `${c.raw.length} raw files, ${c.previous ? `manifest ${c.previous.file}` : 'no manifest'}`);
    await removeUnnamedParts(options, fence, cities);

    const pending = cities.filter((c) => c.fresh.length > 0);
    if (pending.length > 0) {
      await countInputRows(options, pending);
      for (const group of passes(pending)) await writePass(options, fence, group);
    }

    await removeExpiredRaw(options, fence, cities);
    const elapsedMs = Date.now() - started;
    return dates.map((date) => ({ date, results: cities.filter((c) => c.date === date).map((c) => resultOf(c, elapsedMs)) }));
  } finally {
    await options.connection.run('DROP TABLE IF EXISTS kots_pass');
    for (const lease of leases.values()) await lease.release();
  }
}

function resultOf(c: CityState, elapsedMs: number): PartitionResult {
  const manifest = c.next ?? c.previous;
  return {
    date: c.date,
    city: c.city,
    status: !manifest ? 'empty' : c.fresh.length > 0 ? 'consolidated' : 'unchanged',
    ...(manifest ? { part: partKey(manifest) } : {}),
    rows: manifest?.rows ?? 0,
    coveredRaw: manifest?.covers.length ?? 0,
    newRaw: c.fresh.length,
    inputRows: c.inputRows,
    removedRaw: c.removedRaw,
    removedParts: c.removedParts,
    elapsedMs,
  };
}

/** Groups the partitions (whole days together) into passes of at most MAX_ROWS_PER_PASS input rows. */
function passes(cities: CityState[]): CityState[][] {
  const groups: CityState[][] = [];
  let group: CityState[] = [];
  let rows = 0;
  for (const date of [...new Set(cities.map((c) => c.date))]) {
    const day = cities.filter((c) => c.date === date);
    const dayRows = day.reduce((n, c) => n + c.inputRows, 0);
    if (group.length > 0 && rows + dayRows > MAX_ROWS_PER_PASS) {
      groups.push(group);
      group = [];
      rows = 0;
    }
    group.push(...day);
    rows += dayRows;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** One (date, city) partition: the same pass, restricted to the city. */
export async function consolidatePartition(options: ConsolidateOptions, partition: PartitionId): Promise<PartitionResult> {
  const [result] = await consolidateDay(options, partition.date, partition.city);
  if (!result) throw new Error(`consolidation of ${partition.date}/${partition.city} gave no result`);
  return result;
}

/** The day's state from two listings and the cities' manifests. */
async function listDay(options: ConsolidateOptions, date: string, only?: string): Promise<CityState[]> {
  const { lake } = options;
  const [rawKeys, consolidatedKeys] = await Promise.all([
    lake.list(`${RAW_WEATHER_PREFIX}date=${date}/`),
    lake.list(`${CONSOLIDATED_WEATHER_PREFIX}date=${date}/`),
  ]);
  const byCity = new Map<string, { raw: string[]; parts: string[]; manifest?: string }>();
  const entry = (city: string) => {
    let found = byCity.get(city);
    if (!found) {
      found = { raw: [], parts: [] };
      byCity.set(city, found);
    }
    return found;
  };
  for (const key of rawKeys) {
    const city = HIVE_CITY.exec(key)?.[1];
    if (city && key.endsWith('.parquet') && (!only || city === only)) entry(city).raw.push(key);
  }
  for (const key of consolidatedKeys) {
    const city = HIVE_CITY.exec(key)?.[1];
    if (!city || (only && city !== only)) continue;
    if (key.endsWith(`/${MANIFEST_NAME}`)) entry(city).manifest = key;
    else if (key.endsWith('.parquet')) entry(city).parts.push(key);
  }
  if (only) entry(only);
  return Promise.all(
    [...byCity.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(async ([city, found]) => {
        const previous = found.manifest ? await readManifestAt(lake, found.manifest) : undefined;
        const covered = new Set(previous?.covers ?? []);
        return {
          date,
          city,
          raw: found.raw,
          parts: found.parts,
          previous,
          fresh: found.raw.filter((k) => !covered.has(k)),
          removedParts: 0,
          inputRows: 0,
          removedRaw: 0,
        };
      }),
  );
}

/** Part files no manifest names: superseded by the previous run, or left by an interrupted one. */
type Fence = (cities: readonly PartitionId[]) => Promise<void>;

async function removeUnnamedParts(options: ConsolidateOptions, fence: Fence, cities: CityState[]): Promise<void> {
  const stale = cities.flatMap((c) => c.parts.filter((k) => !c.previous || k !== partKey(c.previous)).map((key) => ({ c, key })));
  if (stale.length === 0) return;
  await fence(stale.map(({ c }) => c));
  for (const { c, key } of stale) {
    await options.lake.delete(key);
    c.removedParts++;
  }
  for (const c of cities) if (c.removedParts > 0) await options.onStep?.(c, 'superseded-removed', `${c.removedParts} part files`);
}

async function rowsOf(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRows();
}

/** Row counts from Parquet footers only (no data read), by object key. */
async function footerRows(lake: Lake, connection: DuckDBConnection, keys: readonly string[]): Promise<Map<string, number>> {
  const byPath = new Map(keys.map((k) => [lake.duckdbPath(k), k]));
  const counts = new Map<string, number>();
  for (const [file, rows] of await rowsOf(connection, `SELECT file_name, num_rows FROM parquet_file_metadata(${files(lake, keys)})`)) {
    const key = byPath.get(String(file));
    if (key) counts.set(key, (counts.get(key) ?? 0) + Number(rows));
  }
  return counts;
}

/** Input rows per partition, from the Parquet footers of its inputs (no data read). */
async function countInputRows(options: ConsolidateOptions, cities: CityState[]): Promise<void> {
  const byKey = new Map<string, CityState>();
  for (const c of cities) for (const key of inputsOf(c)) byKey.set(key, c);
  for (const [key, rows] of await footerRows(options.lake, options.connection, [...byKey.keys()])) {
    const city = byKey.get(key);
    if (city) city.inputRows += rows;
  }
}

const inputsOf = (c: CityState) => [...(c.previous ? [partKey(c.previous)] : []), ...c.fresh];
const partitionName = (c: PartitionId) => `${c.date}|${c.city}`;

/** Steps 3–5 for partitions with new raw files: their inputs read once, in one query. */
async function writePass(options: ConsolidateOptions, fence: Fence, cities: CityState[]): Promise<void> {
  const { lake, connection } = options;
  // One pass: read, keep the first copy of each id in stream order, sort. An id lives in one city (window by date, city, id, like the views).
  await connection.run(
    // Not TEMP: the writers below read it from connections of their own.
    `CREATE OR REPLACE TABLE kots_pass AS
     SELECT * FROM ${readWithCity(lake, cities.flatMap(inputsOf))}
     QUALIFY row_number() OVER (PARTITION BY date, city, id ORDER BY kafka_partition, kafka_offset, kafka_topic) = 1
     ORDER BY date, city, current_time_utc, id`,
  );
  const distinct = new Map(
    (await rowsOf(connection, `SELECT strftime(date, '%Y-%m-%d') || '|' || city, count(*) FROM kots_pass GROUP BY ALL`)).map(([name, n]) => [
      String(name),
      Number(n),
    ]),
  );

  const dir = await mkdtemp(join(tmpdir(), 'kots-consolidate-'));
  try {
    // Each writer is one COPY … PARTITION_BY over a contiguous share of the partitions, run by one
    // thread: each file then gets its rows in the table's order (date, city, time, id), and the same
    // rows always give the same bytes (with several threads in one COPY, DuckDB interleaves their
    // runs inside a file). The writers run side by side, one per DuckDB thread; the read, window
    // and sort above use all of DuckDB's threads.
    const [[threads = 1]] = (await rowsOf(connection, `SELECT current_setting('threads')`)) as [[number]];
    const sorted = [...cities].sort((a, b) => partitionName(a).localeCompare(partitionName(b)));
    const shares = shareOut(sorted, options.instance ? Math.max(1, Number(threads)) : 1, (c) => distinct.get(partitionName(c)) ?? 0);
    const writers = [connection, ...(await Promise.all(shares.slice(1).map(() => DuckDBConnection.create(options.instance))))];
    await connection.run(`SET threads = 1`);
    await connection.run(`SET partitioned_write_max_open_files = ${cities.length + 1}`);
    // DuckDB flushes a COPY's partitions together whenever their rows add up to this threshold, so a
    // file's row groups would depend on which other partitions share its COPY: flush at the end only.
    const passRows = [...distinct.values()].reduce((sum, n) => sum + n, 0);
    await connection.run(`SET partitioned_write_flush_threshold = ${Math.max(524_288, passRows + 1)}`);
    try {
      await Promise.all(
        shares.map(({ first, last }, k) => {
          const from = `(date > DATE '${first.date}' OR (date = DATE '${first.date}' AND city >= ${sqlString(first.city)}))`;
          const to = `(date < DATE '${last.date}' OR (date = DATE '${last.date}' AND city <= ${sqlString(last.city)}))`;
          return (writers[k] ?? connection).run(
            `COPY (SELECT * FROM kots_pass WHERE ${from} AND ${to}) TO ${sqlString(join(dir, `out-${k}`))} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date, city))`,
          );
        }),
      );
    } finally {
      await connection.run(`SET threads = ${Number(threads)}`);
      for (const writer of writers.slice(1)) writer.closeSync();
    }
    const outDir = new Map(shares.flatMap((share, k) => share.cities.map((c) => [partitionName(c), join(dir, `out-${k}`)] as const)));
    const written = await footerRowsOfFiles(connection, join(dir, 'out-*'));
    for (const c of cities) {
      const expected = distinct.get(partitionName(c)) ?? 0;
      const rows = written.get(partitionName(c));
      if (rows?.files !== 1 || rows.rows !== expected || expected < (c.previous?.rows ?? 0)) {
        throw inconsistent(
          c,
          `wrote ${rows?.rows ?? 0} rows in ${rows?.files ?? 0} files for ${expected} distinct ids in its inputs (the previous part had ${c.previous?.rows ?? 0})`,
        );
      }
      const covers = [...(c.previous?.covers ?? []), ...c.fresh].sort();
      c.next = { v: 1, date: c.date, city: c.city, file: partFileName(covers), rows: expected, covers };
    }
    // The workers share one iterator: each takes the next city as it finishes the last.
    const uploads = cities.values();
    await Promise.all(
      Array.from({ length: Math.min(UPLOADS_AT_ONCE, cities.length) }, async () => {
        for (const c of uploads) {
          const next = planned(c);
          await lake.put(partKey(next), await readFile(join(outDir.get(partitionName(c)) ?? dir, `date=${c.date}`, `city=${c.city}`, 'data_0.parquet')));
          await options.onStep?.(c, 'part-written', `${partKey(next)}: ${next.rows} rows from ${c.inputRows} input rows`);
        }
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  const uploaded = await footerRows(
    lake,
    connection,
    cities.map((c) => partKey(planned(c))),
  );
  for (const c of cities) {
    const next = planned(c);
    const rows = uploaded.get(partKey(next));
    if (rows !== next.rows) throw inconsistent(c, `its uploaded object ${partKey(next)} holds ${rows ?? 'no'} rows, ${next.rows} were written`);
    await options.onStep?.(c, 'verified', `${rows} rows = distinct ids of the inputs`);
  }

  await fence(cities);
  const manifests = cities.values();
  await Promise.all(
    Array.from({ length: Math.min(UPLOADS_AT_ONCE, cities.length) }, async () => {
      for (const c of manifests) {
        await lake.put(manifestKey(c), encodeManifest(planned(c)));
        await options.onStep?.(c, 'manifest-written', manifestKey(c));
      }
    }),
  );
  // Only now may the S3 lifecycle rule expire them: a verified part named by a manifest holds their readings.
  await lake.markConsolidated(cities.flatMap((c) => c.fresh));
}

interface Share {
  first: PartitionId;
  last: PartitionId;
  cities: CityState[];
}

/** Splits the partitions (sorted by date, city), in order, into at most n contiguous shares of about equal rows. */
function shareOut(cities: CityState[], n: number, rowsOf: (c: CityState) => number): Share[] {
  const total = cities.reduce((sum, c) => sum + rowsOf(c), 0);
  const shares: Share[] = [];
  let rows = 0;
  for (const c of cities) {
    const current = shares.at(-1);
    if (!current || (shares.length < n && rows >= (total * shares.length) / n)) shares.push({ first: c, last: c, cities: [c] });
    else {
      current.last = c;
      current.cities.push(c);
    }
    rows += rowsOf(c);
  }
  return shares;
}

/** Rows and file count per (date|city) of a local partitioned COPY's output, from the footers. */
async function footerRowsOfFiles(connection: DuckDBConnection, dir: string): Promise<Map<string, { rows: number; files: number }>> {
  const out = new Map<string, { rows: number; files: number }>();
  const rows = await rowsOf(connection, `SELECT file_name, num_rows FROM parquet_file_metadata(${sqlString(`${dir}/*/*/*.parquet`)})`);
  for (const [file, n] of rows) {
    const m = /date=(\d{4}-\d{2}-\d{2})\/city=([a-z0-9-]+)\//.exec(String(file));
    if (!m) continue;
    const name = `${m[1]}|${m[2]}`;
    const entry = out.get(name) ?? { rows: 0, files: 0 };
    out.set(name, { rows: entry.rows + Number(n), files: entry.files + 1 });
  }
  return out;
}

function inconsistent(c: PartitionId, what: string): KotsError {
  return new KotsError(
    'LAKE_INCONSISTENT',
    `consolidation of date=${c.date}/city=${c.city} ${what}. Nothing raw was removed and no manifest was written; run kots consolidate again, and check the lake if it repeats.`,
  );
}

/** Removes the raw files the manifests cover once the day is past its retention; checks the parts hold their ids first. */
async function removeExpiredRaw(options: ConsolidateOptions, fence: Fence, cities: CityState[]): Promise<void> {
  const { lake, connection } = options;
  const now = (options.now ?? new Date()).getTime();
  const expiring = cities.flatMap((c) => {
    const manifest = c.next ?? c.previous;
    if (!manifest || now < Date.parse(`${manifest.date}T00:00:00Z`) + DAY_MS + options.retentionHours * HOUR_MS) return [];
    const covers = new Set(manifest.covers);
    const expired = c.raw.filter((k) => covers.has(k));
    return expired.length > 0 ? [{ c, manifest, expired }] : [];
  });
  if (expiring.length === 0) return;
  const parts = expiring.map((e) => partKey(e.manifest));
  const rows = await footerRows(lake, connection, parts);
  const missing = new Map(
    (
      await rowsOf(
        connection,
        // CTEs: inside a join, DuckDB would read hive_types' DATE as the other side's date column.
        `WITH r AS ${readWithCity(
          lake,
          expiring.flatMap((e) => e.expired),
          'DISTINCT date, city, id',
        )}, p AS ${readWithCity(lake, parts, 'date, city, id')}
         SELECT strftime(date, '%Y-%m-%d') || '|' || city, count(*) FROM r ANTI JOIN p USING (date, city, id) GROUP BY ALL`,
      )
    ).map(([name, n]) => [String(name), Number(n)]),
  );
  for (const { c, manifest } of expiring) {
    if (rows.get(partKey(manifest)) !== manifest.rows || (missing.get(partitionName(c)) ?? 0) > 0) {
      throw new KotsError(
        'LAKE_INCONSISTENT',
        `refusing to remove raw files of date=${c.date}/city=${c.city}: ${partKey(manifest)} has ${rows.get(partKey(manifest)) ?? 'no'} rows (manifest says ${manifest.rows}) and lacks ${missing.get(partitionName(c)) ?? 0} of their ids. ` +
          `Delete ${manifestKey(manifest)} and run kots consolidate for that date and city again.`,
      );
    }
  }
  await fence(expiring.map((e) => e.c));
  for (const { c, expired } of expiring) {
    for (const key of expired) await lake.delete(key);
    c.removedRaw = expired.length;
    await options.onStep?.(c, 'raw-removed', `${expired.length} raw files`);
  }
}

/** The partitions (cities) of a date that have raw files or a manifest. */
export async function partitionsOf(lake: Lake, date: string, city?: string): Promise<PartitionId[]> {
  if (city) return [{ date, city }];
  const cities = new Set<string>();
  for (const prefix of [RAW_WEATHER_PREFIX, CONSOLIDATED_WEATHER_PREFIX]) {
    for (const key of await lake.list(`${prefix}date=${date}/`)) {
      const city = HIVE_CITY.exec(key)?.[1];
      if (city) cities.add(city);
    }
  }
  return [...cities].sort().map((c) => ({ date, city: c }));
}

/** Every date with raw files, whatever its age: what `kots consolidate --pending` works through. */
export async function pendingDates(lake: Lake): Promise<string[]> {
  const dates = new Set<string>();
  for (const key of await lake.list(RAW_WEATHER_PREFIX)) {
    const date = /^raw\/weather\/date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
    if (date && key.endsWith('.parquet')) dates.add(date);
  }
  return [...dates].sort();
}

/** Dates from `from` to `to` inclusive, YYYY-MM-DD. */
export function dateRange(from: string, to: string): string[] {
  const start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new KotsError('USAGE', `expected dates as YYYY-MM-DD, got ${from} and ${to}`);
  if (end < start) throw new KotsError('USAGE', `--to ${to} is before --from ${from}`);
  if ((end - start) / DAY_MS > 3660) throw new KotsError('USAGE', `--from ${from} --to ${to} spans more than ten years; split the backfill`);
  const dates: string[] = [];
  for (let t = start; t <= end; t += DAY_MS) dates.push(new Date(t).toISOString().slice(0, 10));
  return dates;
}
