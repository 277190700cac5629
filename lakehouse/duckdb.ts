/**
 * One DuckDB instance configured for the lake: the pre-seeded extension folder
 * (machines without internet), httpfs and an S3 secret when the lake is a
 * bucket. Used by `kots sql`, `kots consolidate` and `kots challenge`.
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError } from '../core/errors.js';

export interface Duck {
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
  close(): void;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** DuckDB settings shared by local and MotherDuck instances. */
export function duckdbOptions(config: KotsConfig): Record<string, string> {
  const options: Record<string, string> = {};
  const extensionDirectory = config.duckdb.extensionDirectory;
  if (extensionDirectory) {
    if (!existsSync(extensionDirectory)) {
      throw new KotsError(
        'CONFIG_INVALID',
        `duckdb.extensionDirectory: ${extensionDirectory} does not exist (seed it with scripts/servers/install.sh duckdb-ext; see lakehouse/README.md)`,
      );
    }
    options.extension_directory = extensionDirectory;
    // Nothing can be downloaded here: load what is in the folder, never try the network.
    options.autoinstall_known_extensions = 'false';
    options.autoload_known_extensions = 'true';
  }
  if (config.duckdb.threads) options.threads = String(config.duckdb.threads);
  return options;
}

export async function openDuck(config: KotsConfig, path = ':memory:', extra: Record<string, string> = {}): Promise<Duck> {
  const instance = await DuckDBInstance.create(path, { ...duckdbOptions(config), ...extra });
  const connection = await instance.connect();
  const close = () => {
    connection.closeSync();
    instance.closeSync();
  };
  try {
    if (config.lake.kind === 's3') await configureS3(connection, config.lake);
  } catch (error) {
    close();
    throw error;
  }
  return { instance, connection, close };
}

export async function loadHttpfs(connection: DuckDBConnection, what: string): Promise<void> {
  try {
    await connection.run('LOAD httpfs');
  } catch (error) {
    throw new KotsError(
      'CONFIG_INVALID',
      `DuckDB cannot load its httpfs extension, needed to read ${what}: ${(error as Error).message}. ` +
        'On a machine without internet, set duckdb.extensionDirectory (KOTS_DUCKDB_EXTENSION_DIRECTORY) to a folder seeded by scripts/servers/install.sh duckdb-ext (lakehouse/README.md).',
      { cause: error },
    );
  }
}

/** The body of CREATE SECRET for the lake's bucket (credentials inline, or the AWS credential chain). */
export function s3SecretParameters(lake: KotsConfig['lake']): string {
  const parts = [`TYPE s3`, `REGION ${sqlString(lake.region)}`, `URL_STYLE ${sqlString(lake.forcePathStyle ? 'path' : 'vhost')}`];
  if (lake.accessKeyId) parts.push(`KEY_ID ${sqlString(lake.accessKeyId)}`, `SECRET ${sqlString(lake.secretAccessKey ?? '')}`);
  else parts.push('PROVIDER credential_chain');
  if (lake.endpoint) {
    const url = new URL(lake.endpoint);
    parts.push(`ENDPOINT ${sqlString(url.host)}`, `USE_SSL ${url.protocol === 'https:'}`);
  }
  if (lake.bucket) parts.push(`SCOPE ${sqlString(`s3://${lake.bucket}`)}`);
  return parts.join(', ');
}

async function configureS3(connection: DuckDBConnection, lake: KotsConfig['lake']): Promise<void> {
  await loadHttpfs(connection, `s3://${lake.bucket}`);
  await connection.run(`CREATE OR REPLACE SECRET kots_lake (${s3SecretParameters(lake)})`);
}
