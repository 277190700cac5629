/**
 * DuckDB over the lake: views `readings` (one row per reading id), `events`
 * (readings that fired a surreal event), `raw_readings` and
 * `consolidated_readings`, over S3 through httpfs or over the local folder.
 * Hive partitions (date, city) prune files by path. Which files the views
 * read is decided when the database is opened (snapshot.ts): open a new one
 * to see files written since.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { KotsConfig } from '../core/config/index.js';
import { openLake, type Lake } from '../core/lake/index.js';
import { openDuck, sqlString } from './duckdb.js';
import { readSnapshot, type LakeSnapshot } from './snapshot.js';
import { viewStatements } from './views.js';

export { sqlString };

export interface LakeDatabase {
  readonly connection: DuckDBConnection;
  readonly lake: Lake;
  readonly snapshot: LakeSnapshot;
  close(): void;
}

export async function openLakeDatabase(config: KotsConfig, lake: Lake = openLake(config.lake)): Promise<LakeDatabase> {
  const duck = await openDuck(config);
  try {
    const snapshot = await readSnapshot(lake);
    for (const statement of viewStatements(lake, snapshot)) await duck.connection.run(statement.sql);
    return { connection: duck.connection, lake, snapshot, close: () => duck.close() };
  } catch (error) {
    duck.close();
    throw error;
  }
}
