/**
 * DuckDB over the lake: views `readings` (one row per reading id) and `events`
 * (readings that fired a surreal event), over S3 through httpfs or over the
 * local folder. Hive partitions (date, city) prune files by path.
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError } from '../core/errors.js';
import { CONSOLIDATED_WEATHER_PREFIX, emptyWeatherSelect, openLake, RAW_WEATHER_PREFIX, type Lake } from '../core/lake/index.js';

export interface LakeDatabase {
  readonly connection: DuckDBConnection;
  readonly lake: Lake;
  close(): void;
}

export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export async function openLakeDatabase(config: KotsConfig, lake: Lake = openLake(config.lake)): Promise<LakeDatabase> {
  const options: Record<string, string> = {};
  const extensionDirectory = config.duckdb.extensionDirectory;
  if (extensionDirectory) {
    if (!existsSync(extensionDirectory)) {
      throw new KotsError('CONFIG_INVALID', `duckdb.extensionDirectory: ${extensionDirectory} does not exist (see scripts/servers/README.md for seeding it)`);
    }
    options.extension_directory = extensionDirectory;
    options.autoinstall_known_extensions = 'false';
    options.autoload_known_extensions = 'true';
  }
  const instance = await DuckDBInstance.create(':memory:', options);
  const connection = await instance.connect();
  try {
    if (config.lake.kind === 's3') await configureS3(connection, config.lake);
    await createViews(connection, lake);
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return {
    connection,
    lake,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

async function configureS3(connection: DuckDBConnection, lake: KotsConfig['lake']): Promise<void> {
  try {
    await connection.run('LOAD httpfs');
  } catch (error) {
    throw new KotsError(
      'CONFIG_INVALID',
      `DuckDB cannot load its httpfs extension, needed to read s3://${lake.bucket}: ${(error as Error).message}. ` +
        'On a machine without internet, set duckdb.extensionDirectory (KOTS_DUCKDB_EXTENSION_DIRECTORY) to a folder seeded by scripts/servers/install.sh duckdb-ext.',
      { cause: error },
    );
  }
  const parts = [`TYPE s3`, `REGION ${sqlString(lake.region)}`, `URL_STYLE ${sqlString(lake.forcePathStyle ? 'path' : 'vhost')}`];
  if (lake.accessKeyId) parts.push(`KEY_ID ${sqlString(lake.accessKeyId)}`, `SECRET ${sqlString(lake.secretAccessKey ?? '')}`);
  else parts.push('PROVIDER credential_chain');
  if (lake.endpoint) {
    const url = new URL(lake.endpoint);
    parts.push(`ENDPOINT ${sqlString(url.host)}`, `USE_SSL ${url.protocol === 'https:'}`);
  }
  await connection.run(`CREATE OR REPLACE SECRET kots_lake (${parts.join(', ')})`);
}

function parquetScan(lake: Lake, prefix: string): string {
  return `read_parquet(${sqlString(lake.duckdbPath(`${prefix}**/*.parquet`))}, hive_partitioning = true, union_by_name = true)`;
}

async function createViews(connection: DuckDBConnection, lake: Lake): Promise<void> {
  const hasRaw = (await lake.list(RAW_WEATHER_PREFIX)).some((k) => k.endsWith('.parquet'));
  const hasConsolidated = (await lake.list(CONSOLIDATED_WEATHER_PREFIX)).some((k) => k.endsWith('.parquet'));
  const raw = hasRaw ? `SELECT * FROM ${parquetScan(lake, RAW_WEATHER_PREFIX)}` : emptyWeatherSelect();
  const consolidated = hasConsolidated ? `SELECT * FROM ${parquetScan(lake, CONSOLIDATED_WEATHER_PREFIX)}` : emptyWeatherSelect();
  await connection.run(`CREATE OR REPLACE VIEW raw_readings AS ${raw}`);
  await connection.run(`CREATE OR REPLACE VIEW consolidated_readings AS ${consolidated}`);
  // A reading written twice (a batch re-written after a crash) counts once: the first copy in stream order wins.
  await connection.run(`
    CREATE OR REPLACE VIEW readings AS
    SELECT * FROM (SELECT * FROM consolidated_readings UNION ALL BY NAME SELECT * FROM raw_readings)
    QUALIFY row_number() OVER (PARTITION BY id ORDER BY kafka_partition, kafka_offset) = 1`);
  await connection.run(`CREATE OR REPLACE VIEW events AS SELECT * FROM readings WHERE event_id > 0`);
}
