/**
 * The SQL of the lake's views, built from a snapshot of which files to read
 * (snapshot.ts). Same statements for a local DuckDB and for MotherDuck.
 *
 * - raw_readings: every raw file, duplicates included (what the consumer wrote).
 * - consolidated_readings: the part files named by manifests.
 * - readings: one row per reading id. Settled partitions are read as they
 *   are (already de-duplicated, no window to pay for); partitions with raw
 *   files not consolidated yet are de-duplicated together with their part,
 *   keeping the first copy in stream order (its event label is the original).
 *   The window is partitioned by (date, city, id): an id lives in one
 *   partition, and filters on date and city then still prune files.
 * - events: readings that fired a surreal event.
 */
import { emptyWeatherSelect } from '../core/lake/columns.js';
import type { Lake } from '../core/lake/index.js';
import { sqlString } from './duckdb.js';
import type { LakeSnapshot } from './snapshot.js';

// No union_by_name: every lake file has the same columns (core/lake/columns.ts), matched by name; with it DuckDB would open
// every file to make the views, and again for each query that binds them.
const HIVE = `hive_partitioning = true, hive_types = {'date': DATE, 'city': VARCHAR}`;

export function parquetFiles(lake: Lake, keys: readonly string[]): string {
  if (keys.length === 0) return `(${emptyWeatherSelect()})`;
  return `read_parquet([${keys.map((k) => sqlString(lake.duckdbPath(k))).join(', ')}], ${HIVE})`;
}

function scan(lake: Lake, keys: readonly string[]): string {
  return keys.length === 0 ? emptyWeatherSelect() : `SELECT * FROM ${parquetFiles(lake, keys)}`;
}

export const FIRST_COPY = 'row_number() OVER (PARTITION BY date, city, id ORDER BY kafka_partition, kafka_offset) = 1';

export interface ViewStatement {
  view: string;
  sql: string;
}

export function viewStatements(lake: Lake, snapshot: LakeSnapshot, schema = ''): ViewStatement[] {
  const name = (view: string) => (schema ? `${schema}.${view}` : view);
  // The same snapshot as `readings`, not a glob: files written after the views were made would
  // otherwise show in raw_readings and not in readings, and the two would disagree.
  const raw = scan(lake, snapshot.rawFiles);
  const unsettled = [...snapshot.touchedParts, ...snapshot.pendingRaw];
  const readings =
    unsettled.length === 0
      ? scan(lake, snapshot.settledParts)
      : `${scan(lake, snapshot.settledParts)}\nUNION ALL BY NAME\nSELECT * FROM (${scan(lake, unsettled)}) QUALIFY ${FIRST_COPY}`;
  return [
    { view: 'raw_readings', sql: `CREATE OR REPLACE VIEW ${name('raw_readings')} AS ${raw}` },
    {
      view: 'consolidated_readings',
      sql: `CREATE OR REPLACE VIEW ${name('consolidated_readings')} AS ${scan(lake, [...snapshot.settledParts, ...snapshot.touchedParts])}`,
    },
    { view: 'readings', sql: `CREATE OR REPLACE VIEW ${name('readings')} AS\n${readings}` },
    { view: 'events', sql: `CREATE OR REPLACE VIEW ${name('events')} AS SELECT * FROM ${name('readings')} WHERE event_id > 0` },
  ];
}
