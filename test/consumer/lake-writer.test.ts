/**
 * The lake contract of a consumer batch, written in one DuckDB pass: one
 * object per (date, city) named by topic, partition and the group's first and
 * last offset; the weather columns in order with their types (timestamps in
 * microseconds); every value, null and event label exactly as `flattenReading`
 * makes them from the parsed reading, although DuckDB takes them out of the
 * reading's own text (so texts a JSON reader could read otherwise are here:
 * unknown and case-variant keys, escapes, line breaks, exponents, defaults).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { type LakeEntry, LakeBatch, writeBatchToLake } from '../../consumer/lake-writer.js';
import { flattenReading, LocalLake, rawObjectKey, utcDate, WEATHER_COLUMNS, type WeatherRow } from '../../core/lake/index.js';
import { ParquetEncoder } from '../../core/lake/parquet.js';
import { parseReading } from '../../core/reading.js';
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

/** Entries as the consumer makes them: each text parsed and validated by parseReading. */
function entriesOf(texts: readonly (string | Buffer)[], firstOffset = 100n): LakeEntry[] {
  const event = { id: 7, name: 'The Timeless Library', description: 'a "quoted", comma\'d text', newsflash: 'ünïcode ✓' };
  const none = { id: 0, name: 'None', description: '', newsflash: '' };
  return texts.map((text, i) => {
    const verdict = parseReading(text);
    if (!verdict.ok) throw new Error(`test reading ${i} is invalid: ${verdict.reason}`);
    return {
      text: text.toString(),
      reading: verdict.reading,
      position: { topic: 'weather', partition: 2, offset: firstOffset + BigInt(i), timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)) },
      event: i % 5 === 0 ? event : none,
    };
  });
}

const rowOf = (entry: LakeEntry): WeatherRow => flattenReading(entry.reading, entry.position, entry.event);

/** Valid readings whose text a JSON reader could take differently from JSON.parse and the validator. */
function awkwardTexts(): (string | Buffer)[] {
  const base = makeReading({ observed_at: '2026-01-03T10:00:00.000Z' });
  const plain = JSON.stringify(base);
  return [
    // Optional fields left out: no weather list, no timezone (the schema's defaults: [] and 0).
    JSON.stringify(makeReading({ observed_at: '2026-01-02T23:59:59.999+00:00', weather: { main: {} } })),
    // A local time across midnight, an offset in the timestamp.
    JSON.stringify(makeReading({ observed_at: '2026-01-03T01:30:00.250+02:00', weather: { weather: [], main: {}, timezone: 3600 } })),
    // Pretty-printed (line breaks between tokens) and behind a byte-order mark.
    JSON.stringify(base, null, 2).replaceAll('\n', '\r\n'),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(plain)]),
    // Unknown keys, one differing from a known key only by case, and one nested.
    plain.replace('"main":{"temp":285.1', '"Main":{"temp":1},"main":{"Temp":1,"temp":285.1,"extra":{"x":[1,2]}').replace('"v":1', '"v":1,"note":"ignored"'),
    // Escapes in keys and strings, exponents and integral floats.
    plain
      .replace('"temp":285.1', '"te\\u006dp":2.851e2')
      .replace('"id":800', '"id":8.0e2')
      .replace('"description":"clear sky"', '"description":"cl\\u00e9ar \\"sky\\" \\\\ \\u2713"'),
  ];
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
    // Three cities over three days, plus the awkward texts.
    const texts = [
      ...simulatedReadings(40, { stepMinutes: 90, cities: undefined })
        .slice(0, 150)
        .map((r) => JSON.stringify(r)),
      ...awkwardTexts(),
    ];
    const entries = entriesOf(texts);
    const keys = await writeBatchToLake(lake, encoder, 'weather', 2, LakeBatch.of(entries));

    const groups = new Map<string, WeatherRow[]>();
    for (const row of entries.map(rowOf)) {
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
    const entries = entriesOf(simulatedReadings(10, { stepMinutes: 300 }).map((r) => JSON.stringify(r)));
    const first = await writeBatchToLake(lake, encoder, 'weather', 2, entries);
    const again = await writeBatchToLake(lake, encoder, 'weather', 2, entries);
    expect(again).toEqual(first);
    expect((await lake.list('raw/weather/')).length).toBe(first.length);
  });
});
