/**
 * The lake's views in MotherDuck: a database `md:<motherduckDatabase>` whose
 * views read the bucket from MotherDuck's side, with the bucket's S3
 * credentials stored as a MotherDuck secret (CREATE SECRET ... IN MOTHERDUCK).
 *
 * The MotherDuck token travels only as the `motherduck_token` connection
 * option: it is never part of a SQL statement, a log line or an error
 * message. Statements are returned twice: to run, and redacted to show.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError } from '../core/errors.js';
import type { Lake } from '../core/lake/index.js';
import { duckdbOptions, s3SecretParameters } from './duckdb.js';
import type { LakeSnapshot } from './snapshot.js';
import { viewStatements } from './views.js';

export interface PlannedStatement {
  sql: string;
  /** The same statement with credentials replaced by '***', safe to print or log. */
  shown: string;
}

export function redactSecrets(sql: string): string {
  return sql.replace(/\b(KEY_ID|SECRET|SESSION_TOKEN)\s+'(?:[^']|'')*'/g, "$1 '***'");
}

/** Settings MotherDuck needs, checked before any connection is tried. */
export function checkMotherDuckConfig(config: KotsConfig): { token: string; database: string } {
  const token = config.duckdb.motherduckToken;
  if (!token)
    throw new KotsError(
      'USAGE',
      'MotherDuck needs a token: set duckdb.motherduckToken (KOTS_DUCKDB_MOTHERDUCK_TOKEN), from app.motherduck.com → Settings → Access tokens',
    );
  if (config.lake.kind !== 's3') {
    throw new KotsError(
      'USAGE',
      `MotherDuck reads the lake from its own servers, so the lake must be an S3 bucket they can reach (lake.kind is ${config.lake.kind}); see lakehouse/README.md`,
    );
  }
  return { token, database: config.duckdb.motherduckDatabase };
}

export function motherduckStatements(config: KotsConfig, lake: Lake, snapshot: LakeSnapshot): PlannedStatement[] {
  const database = config.duckdb.motherduckDatabase;
  const plain = [
    `CREATE DATABASE IF NOT EXISTS ${database}`,
    `USE ${database}`,
    // Stored (encrypted) in MotherDuck and scoped to the bucket: the views read s3:// from MotherDuck's side.
    `CREATE OR REPLACE SECRET kots_lake IN MOTHERDUCK (${s3SecretParameters(config.lake)})`,
    ...viewStatements(lake, snapshot, `${database}.main`).map((s) => s.sql),
  ];
  return plain.map((sql) => ({ sql, shown: redactSecrets(sql) }));
}

/** Removes the token from a message that might echo connection details. */
function withoutToken(message: string, token: string): string {
  return token ? message.split(token).join('***') : message;
}

export interface MotherDuckConnection {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

export async function connectMotherDuck(config: KotsConfig): Promise<MotherDuckConnection> {
  const { token, database } = checkMotherDuckConfig(config);
  let instance: DuckDBInstance | undefined;
  try {
    instance = await DuckDBInstance.create('md:', { ...duckdbOptions(config), motherduck_token: token });
    return { instance, connection: await instance.connect() };
  } catch (error) {
    instance?.closeSync();
    throw new KotsError(
      'LAKE_UNAVAILABLE',
      `cannot connect to MotherDuck (md:${database}): ${withoutToken((error as Error).message, token)}. ` +
        'It needs the motherduck extension (downloaded by DuckDB on a machine with internet, or seeded in duckdb.extensionDirectory) and a valid token.',
      { retryable: true },
    );
  }
}
