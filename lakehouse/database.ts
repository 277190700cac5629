/**
 * DuckDB over the lake: views `readings` (one row per reading id), `events`
 * (readings that fired a surreal event), `raw_readings` and
 * `consolidated_readings`, over S3 through httpfs or over the local folder,
 * in a local in-memory DuckDB or in a MotherDuck database. Hive partitions
 * (date, city) prune files by path. Which files the views read is decided
 * when the database is opened (snapshot.ts): open a new one to see files
 * written since.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { KotsConfig } from '../core/config/index.js';
import type { Lake } from '../core/lake/index.js';
import { openLakeLazily } from '../core/lake/open.js';
import { openDuck, sqlString } from './duckdb.js';
import { connectMotherDuck, motherduckStatements } from './motherduck.js';
import { readSnapshot, type LakeSnapshot } from './snapshot.js';
import { viewStatements } from './views.js';

export { sqlString };

export interface LakeDatabase {
  readonly connection: DuckDBConnection;
  readonly lake: Lake;
  readonly snapshot: LakeSnapshot;
  /** Where the views live: 'local' (in memory) or md:<database>. */
  readonly target: string;
  close(): void;
}

export interface OpenOptions {
  /** Create the views in MotherDuck (duckdb.motherduckToken) instead of a local in-memory DuckDB. */
  motherduck?: boolean;
}

export async function openLakeDatabase(config: KotsConfig, given?: Lake, options: OpenOptions = {}): Promise<LakeDatabase> {
  const lake = given ?? (await openLakeLazily(config.lake));
  if (options.motherduck) {
    const snapshot = await readSnapshot(lake);
    const md = await connectMotherDuck(config);
    const close = () => {
      md.connection.closeSync();
      md.instance.closeSync();
    };
    try {
      for (const statement of motherduckStatements(config, lake, snapshot)) await md.connection.run(statement.sql);
    } catch (error) {
      close();
      throw error;
    }
    return { connection: md.connection, lake, snapshot, target: `md:${config.duckdb.motherduckDatabase}`, close };
  }
  const duck = await openDuck(config);
  try {
    const snapshot = await readSnapshot(lake);
    for (const statement of viewStatements(lake, snapshot)) await duck.connection.run(statement.sql);
    return { connection: duck.connection, lake, snapshot, target: 'local', close: () => duck.close() };
  } catch (error) {
    duck.close();
    throw error;
  }
}
