/**
 * Consolidation of one (date, city) partition: the raw Parquet files the
 * consumer wrote become one de-duplicated part file, sorted by time.
 *
 * Steps, each safe to crash after (manifest.ts explains what readers see):
 *  1. list the partition's raw files and read its manifest;
 *  2. remove part files no manifest names (superseded by the previous run,
 *     so readers had a whole run interval to finish with them, or left by an
 *     interrupted run);
 *  3. DuckDB reads the current part plus the raw files it does not cover,
 *     keeps the first copy of each reading id in stream order (lowest
 *     kafka_partition, kafka_offset: its event label is the original), sorts
 *     by time and writes a Parquet file locally; the Lake uploads it in one
 *     PUT (atomic on S3; write-fsync-rename on a folder), under a name that
 *     hashes the covered raw keys, so a re-run writes the very same object;
 *  4. DuckDB re-reads the uploaded object: its rows, its distinct ids, and
 *     that no input id is missing must all match, or nothing else happens;
 *  5. the manifest is written: from here readers use the new part;
 *  6. once the day is older than the retention, raw files the manifest covers
 *     are removed, after checking again that the part holds every id in them.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { KotsError } from '../core/errors.js';
import { CONSOLIDATED_WEATHER_PREFIX, RAW_WEATHER_PREFIX, type Lake } from '../core/lake/index.js';
import { sqlString } from './duckdb.js';
import {
  consolidatedPrefix,
  encodeManifest,
  manifestKey,
  partFileName,
  partKey,
  rawPrefix,
  readManifest,
  type ConsolidationManifest,
  type PartitionId,
} from './manifest.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export type ConsolidationStep = 'listed' | 'superseded-removed' | 'part-written' | 'verified' | 'manifest-written' | 'raw-removed';

export interface ConsolidateOptions {
  lake: Lake;
  connection: DuckDBConnection;
  /** Raw files of a day are removed once this many hours have passed since the day ended (UTC). */
  retentionHours: number;
  now?: Date;
  /** Called after each step, for progress output. */
  onStep?: (partition: PartitionId, step: ConsolidationStep, detail: string) => void;
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

const files = (lake: Lake, keys: readonly string[]) => `[${keys.map((k) => sqlString(lake.duckdbPath(k))).join(', ')}]`;
// Partition columns come from the path, never from the files; and no union_by_name surprise from a hive guess.
const read = (lake: Lake, keys: readonly string[]) => `read_parquet(${files(lake, keys)}, hive_partitioning = false, union_by_name = true)`;

export async function consolidatePartition(options: ConsolidateOptions, partition: PartitionId): Promise<PartitionResult> {
  const { lake, connection } = options;
  const started = Date.now();
  const step = (name: ConsolidationStep, detail: string) => options.onStep?.(partition, name, detail);

  const raw = (await lake.list(rawPrefix(partition))).filter((k) => k.endsWith('.parquet'));
  const previous = await readManifest(lake, partition);
  step('listed', `${raw.length} raw files, ${previous ? `manifest ${previous.file}` : 'no manifest'}`);

  const removedParts = await removeUnnamedParts(lake, partition, previous);
  if (removedParts > 0) step('superseded-removed', `${removedParts} part files`);

  const covered = new Set(previous?.covers ?? []);
  const fresh = raw.filter((k) => !covered.has(k));
  let manifest = previous;
  let inputRows = 0;
  if (fresh.length > 0) {
    const covers = [...covered, ...fresh].sort();
    const next: ConsolidationManifest = { v: 1, date: partition.date, city: partition.city, file: partFileName(covers), rows: 0, covers };
    const inputs = [...(previous ? [partKey(previous)] : []), ...fresh];
    const written = await writePart(options, next, inputs);
    inputRows = written.inputRows;
    step('part-written', `${partKey(next)}: ${written.rows} rows from ${written.inputRows} input rows`);
    await verifyPart(lake, connection, partKey(next), written.rows);
    step('verified', `${written.rows} rows, ${written.rows} distinct ids, none missing`);
    manifest = { ...next, rows: written.rows };
    await lake.put(manifestKey(partition), encodeManifest(manifest));
    step('manifest-written', manifestKey(partition));
  }

  const removedRaw = manifest ? await removeExpiredRaw(options, manifest, raw) : 0;
  if (removedRaw > 0) step('raw-removed', `${removedRaw} raw files`);
  await connection.run('DROP TABLE IF EXISTS kots_input');

  return {
    ...partition,
    status: !manifest ? 'empty' : fresh.length > 0 ? 'consolidated' : 'unchanged',
    ...(manifest ? { part: partKey(manifest) } : {}),
    rows: manifest?.rows ?? 0,
    coveredRaw: manifest?.covers.length ?? 0,
    newRaw: fresh.length,
    inputRows,
    removedRaw,
    removedParts,
    elapsedMs: Date.now() - started,
  };
}

/** Part files of the partition that the current manifest does not name. */
async function removeUnnamedParts(lake: Lake, partition: PartitionId, manifest: ConsolidationManifest | undefined): Promise<number> {
  const keep = manifest ? partKey(manifest) : undefined;
  const stale = (await lake.list(consolidatedPrefix(partition))).filter((k) => k.endsWith('.parquet') && k !== keep);
  for (const key of stale) await lake.delete(key);
  return stale.length;
}

async function scalarRow(connection: DuckDBConnection, sql: string): Promise<number[]> {
  const reader = await connection.runAndReadAll(sql);
  return (reader.getRows()[0] ?? []).map((v) => Number(v));
}

async function writePart(options: ConsolidateOptions, next: ConsolidationManifest, inputs: string[]): Promise<{ rows: number; inputRows: number }> {
  const { lake, connection } = options;
  const temp = join(tmpdir(), `kots-consolidate-${randomBytes(6).toString('hex')}.parquet`);
  try {
    await connection.run(`CREATE OR REPLACE TEMP TABLE kots_input AS SELECT * FROM ${read(lake, inputs)}`);
    const [inputRows = 0, distinct = 0] = await scalarRow(connection, 'SELECT count(*), count(DISTINCT id) FROM kots_input');
    await connection.run(
      `COPY (SELECT * FROM kots_input
             QUALIFY row_number() OVER (PARTITION BY id ORDER BY kafka_partition, kafka_offset, kafka_topic) = 1
             ORDER BY current_time_utc, id)
       TO ${sqlString(temp)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await lake.put(partKey(next), await readFile(temp));
    return { rows: distinct, inputRows };
  } finally {
    await rm(temp, { force: true });
  }
}

/** Re-reads the uploaded part: row count, distinct ids and every input id present. */
async function verifyPart(lake: Lake, connection: DuckDBConnection, key: string, expectedRows: number): Promise<void> {
  const part = read(lake, [key]);
  const [rows = -1, distinct = -1] = await scalarRow(connection, `SELECT count(*), count(DISTINCT id) FROM ${part}`);
  const [missing = -1] = await scalarRow(connection, `SELECT count(*) FROM (SELECT DISTINCT id FROM kots_input) i ANTI JOIN (SELECT id FROM ${part}) p USING (id)`);
  if (rows !== expectedRows || distinct !== expectedRows || missing !== 0) {
    throw new KotsError(
      'LAKE_INCONSISTENT',
      `consolidated object ${key} does not match its inputs: ${rows} rows and ${distinct} distinct ids read back, ${missing} input ids missing, ${expectedRows} expected. ` +
        'Nothing raw was removed and no manifest was written; run kots consolidate again, and check the lake if it repeats.',
    );
  }
}

/** Removes the raw files the manifest covers once the day is past its retention; checks the part holds their ids first. */
async function removeExpiredRaw(options: ConsolidateOptions, manifest: ConsolidationManifest, raw: readonly string[]): Promise<number> {
  const { lake, connection } = options;
  const now = (options.now ?? new Date()).getTime();
  const dayEnd = Date.parse(`${manifest.date}T00:00:00Z`) + DAY_MS;
  if (now < dayEnd + options.retentionHours * HOUR_MS) return 0;
  const covers = new Set(manifest.covers);
  const expired = raw.filter((k) => covers.has(k));
  if (expired.length === 0) return 0;
  const part = read(lake, [partKey(manifest)]);
  const [rows = -1] = await scalarRow(connection, `SELECT count(*) FROM ${part}`);
  const [missing = -1] = await scalarRow(connection, `SELECT count(*) FROM (SELECT DISTINCT id FROM ${read(lake, expired)}) r ANTI JOIN (SELECT id FROM ${part}) p USING (id)`);
  if (rows !== manifest.rows || missing !== 0) {
    throw new KotsError(
      'LAKE_INCONSISTENT',
      `refusing to remove raw files of date=${manifest.date}/city=${manifest.city}: ${partKey(manifest)} has ${rows} rows (manifest says ${manifest.rows}) and lacks ${missing} of their ids. ` +
        `Delete ${manifestKey(manifest)} and run kots consolidate for that date and city again.`,
    );
  }
  for (const key of expired) await lake.delete(key);
  return expired.length;
}

/** The partitions (cities) of a date that have raw files or a manifest. */
export async function partitionsOf(lake: Lake, date: string, city?: string): Promise<PartitionId[]> {
  if (city) return [{ date, city }];
  const cities = new Set<string>();
  for (const prefix of [RAW_WEATHER_PREFIX, CONSOLIDATED_WEATHER_PREFIX]) {
    for (const key of await lake.list(`${prefix}date=${date}/`)) {
      const m = /\/city=([a-z0-9-]+)\//.exec(key);
      if (m) cities.add(m[1]!);
    }
  }
  return [...cities].sort().map((c) => ({ date, city: c }));
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
