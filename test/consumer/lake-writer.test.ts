/**
 * The lake contract of a consumer batch, written in one DuckDB pass: one
 * object per (date, city) named by topic, partition and the group's first and
 * last offset; the weather columns in order with their types (timestamps in
 * microseconds); every value, null and event label as flattened.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { LakeBatch, writeBatchToLake } from '../../consumer/lake-writer.js';
import { flattenReading, LocalLake, rawObjectKey, utcDate, WEATHER_COLUMNS, type WeatherRow } from '../../core/lake/index.js';
import { ParquetEncoder } from '../../core/lake/parquet.js';
import type { Reading } from '../../core/reading.js';
import { makeReading } from '../helpers/readings.js';
import { simulatedReadings } from '../helpers/streams.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function scratchLake(): Promise<LocalLake> {
  const dir = await mkdtemp(join(tmpdir(), 'kots-lake-writer-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return new LocalLake(dir);
}

function rowsOf(readings: readonly Reading[], firstOffset = 100n): WeatherRow[] {
  const event = { id: 7, name: 'The Timeless Library', description: 'a "quoted", comma\'d text', newsflash: 'ünïcode ✓' };
  return readings.map((reading, i) =>
    flattenReading(
      reading,
      { topic: 'weather', partition: 2, offset: firstOffset + BigInt(i), timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)) },
      i % 5 === 0 ? event : undefined,
    ),
  );
}

function expectedValue(value: WeatherRow[keyof WeatherRow], type: string): unknown {
  if (value === null) return null;
  if (value instanceof Date) return BigInt(value.getTime()) * 1000n;
  if (type === 'BIGINT') return BigInt(value as number | bigint);
  return value;
}

function actualValue(value: unknown): unknown {
  if (value instanceof DuckDBTimestampValue) return value.micros;
  return value;
}

describe('consumer lake writer', () => {
  it('writes one object per (date, city) with the lake columns, types and values, in offset order', async () => {
    const lake = await scratchLake();
    const encoder = new ParquetEncoder();
    cleanup.push(() => encoder.close());
    // Three cities over three days, plus a reading with the optional fields left out (nulls).
    const readings = [
      ...simulatedReadings(40, { stepMinutes: 90, cities: undefined }).slice(0, 150),
      makeReading({ observed_at: '2026-01-02T23:59:59.999+00:00', weather: { weather: [], main: {}, timezone: 3600 } }) as Reading,
    ];
    const rows = rowsOf(readings);
    const keys = await writeBatchToLake(lake, encoder, 'weather', 2, LakeBatch.of(rows));

    const groups = new Map<string, WeatherRow[]>();
    for (const row of rows) {
      const group = `${utcDate(row.current_time_utc as Date)}|${row.city_slug}`;
      groups.set(group, [...(groups.get(group) ?? []), row]);
    }
    const expectedKeys = [...groups].map(([group, list]) => {
      const [date, city] = group.split('|') as [string, string];
      return rawObjectKey({
        date,
        city,
        topic: 'weather',
        partition: 2,
        firstOffset: list[0]!.kafka_offset as bigint,
        lastOffset: list.at(-1)!.kafka_offset as bigint,
      });
    });
    expect(groups.size).toBeGreaterThan(6);
    expect([...keys].sort()).toEqual([...expectedKeys].sort());
    expect((await lake.list('raw/weather/')).sort()).toEqual([...expectedKeys].sort());

    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    cleanup.push(() => {
      connection.closeSync();
      db.closeSync();
    });
    for (const [index, list] of [...groups.values()].entries()) {
      const key = expectedKeys[index]!;
      const file = join(lake.root, key);
      const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}', hive_partitioning = false)`)).getRows();
      expect(described.map(([name, type]) => [name, type])).toEqual(WEATHER_COLUMNS.map(([name, type]) => [name, type]));
      const schema = (
        await connection.runAndReadAll(
          `SELECT name, logical_type FROM parquet_schema('${file}') WHERE name IN ('current_time_utc', 'local_time', 'kafka_timestamp')`,
        )
      ).getRows();
      for (const [, logical] of schema) expect(String(logical)).toContain('MICROS');
      const stored = (await connection.runAndReadAll(`SELECT * FROM read_parquet('${file}', hive_partitioning = false)`)).getRows();
      expect(stored.map((row) => row.map(actualValue))).toEqual(list.map((row) => WEATHER_COLUMNS.map(([name, type]) => expectedValue(row[name], type))));
    }
  });

  it('writes the same object names when the same offsets are written again', async () => {
    const lake = await scratchLake();
    const encoder = new ParquetEncoder();
    cleanup.push(() => encoder.close());
    const rows = rowsOf(simulatedReadings(10, { stepMinutes: 300 }));
    const first = await writeBatchToLake(lake, encoder, 'weather', 2, rows);
    const again = await writeBatchToLake(lake, encoder, 'weather', 2, rows);
    expect(again).toEqual(first);
    expect((await lake.list('raw/weather/')).length).toBe(first.length);
  });
});
