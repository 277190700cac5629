/**
 * Encodes weather rows as a Parquet file with DuckDB (zstd, timestamps in
 * microseconds, which every engine reads). DuckDB is already how the lake is
 * queried, so the files are written by the same engine that reads them.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue, type DuckDBAppender } from '@duckdb/node-api';
import { WEATHER_COLUMNS, type WeatherRow } from './columns.js';

export class ParquetEncoder {
  private instance: Promise<DuckDBInstance> | undefined;

  private db(): Promise<DuckDBInstance> {
    this.instance ??= DuckDBInstance.create(':memory:', { threads: '1' });
    return this.instance;
  }

  async encode(rows: readonly WeatherRow[]): Promise<Uint8Array> {
    const connection = await (await this.db()).connect();
    const table = `batch_${randomBytes(6).toString('hex')}`;
    const file = join(tmpdir(), `kots-${table}.parquet`);
    try {
      const columns = WEATHER_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');
      await connection.run(`CREATE TABLE ${table} (${columns})`);
      const appender = await connection.createAppender(table);
      for (const row of rows) appendRow(appender, row);
      appender.closeSync();
      await connection.run(`COPY ${table} TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
      return await readFile(file);
    } finally {
      await connection.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      connection.closeSync();
      await rm(file, { force: true });
    }
  }

  close(): void {
    void this.instance?.then((i) => i.closeSync());
    this.instance = undefined;
  }
}

function appendRow(appender: DuckDBAppender, row: WeatherRow): void {
  for (const [name, type] of WEATHER_COLUMNS) {
    const value = row[name];
    if (value === null || value === undefined) {
      appender.appendNull();
      continue;
    }
    switch (type) {
      case 'VARCHAR':
        appender.appendVarchar(String(value));
        break;
      case 'DOUBLE':
        appender.appendDouble(Number(value));
        break;
      case 'INTEGER':
        appender.appendInteger(Number(value));
        break;
      case 'SMALLINT':
        appender.appendSmallInt(Number(value));
        break;
      case 'BIGINT':
        appender.appendBigInt(BigInt(value as number | bigint));
        break;
      case 'TIMESTAMP':
        appender.appendTimestamp(new DuckDBTimestampValue(BigInt((value as Date).getTime()) * 1000n));
        break;
    }
  }
  appender.endRow();
}
