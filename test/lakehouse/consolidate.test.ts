/**
 * `kots consolidate` on the real S3 server (MinIO) and on a local folder:
 * duplicated raw rows become each reading exactly once, re-runs change
 * nothing, late raw files are merged without double counting, and raw files
 * go only after verification and the retention.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { KotsConfig } from '../../core/config/index.js';
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { CONSOLIDATED_TAG, LocalLake, openLake, type Lake, type S3Lake } from '../../core/lake/index.js';
import { consolidateDay as consolidate, type PartitionResult } from '../../lakehouse/consolidate.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { openDuck, type Duck } from '../../lakehouse/duckdb.js';
import { readManifest } from '../../lakehouse/manifest.js';
import { createBucket, testConfig, testEnvironment } from '../helpers/servers.js';
import { distinctReadings, simulatedRows, writeRawLake } from './fixtures.js';
import { DEFAULT_CITIES, resolveCity } from '../../agent/cities.js';

const DAY = '2026-03-10';
const CITIES = DEFAULT_CITIES.slice(0, 3).map(resolveCity);
const ROWS = simulatedRows({ cities: CITIES, from: new Date(`${DAY}T00:00:00Z`), hours: 24, intervalMinutes: 10 });
const READINGS = distinctReadings(ROWS);

const ducks: Duck[] = [];
afterAll(() => {
  for (const duck of ducks) duck.close();
});

interface Backend {
  name: string;
  make(): Promise<{ config: KotsConfig; lake: Lake }>;
}

const backends: Backend[] = [
  {
    name: 'S3 server',
    async make() {
      const config = testConfig(testEnvironment(await createBucket()));
      return { config, lake: openLake(config.lake) };
    },
  },
  {
    name: 'local folder',
    async make() {
      const config = testConfig({ KOTS_LAKE_PATH: mkdtempSync(join(tmpdir(), 'kots-lake-')), KOTS_LOG_LEVEL: 'warn' });
      return { config, lake: new LocalLake(config.lake.path) };
    },
  },
];

async function counts(config: KotsConfig, lake: Lake) {
  const db = await openLakeDatabase(config, lake);
  try {
    const reader = await db.connection.runAndReadAll(
      `SELECT (SELECT count(*) FROM readings), (SELECT count(DISTINCT id) FROM readings), (SELECT count(*) FROM raw_readings), (SELECT count(*) FROM consolidated_readings)`,
    );
    const [readings, distinct, raw, consolidated] = reader.getRows()[0]!.map(Number) as [number, number, number, number];
    return { readings, distinct, raw, consolidated };
  } finally {
    db.close();
  }
}

async function objectHashes(lake: Lake, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await lake.list(prefix))
    out[key] = createHash('sha256')
      .update(await lake.get(key))
      .digest('hex');
  return out;
}

async function consolidateDay(config: KotsConfig, lake: Lake, retentionHours: number, now = new Date()): Promise<PartitionResult[]> {
  const duck = await openDuck(config);
  ducks.push(duck);
  return consolidate({ lake, connection: duck.connection, retentionHours, now }, DAY);
}

describe.each(backends)('consolidation on the $name', (backend) => {
  it('turns a day of raw files with duplicated rows into each reading exactly once, sorted by time, first copy kept', async () => {
    const { config, lake } = await backend.make();
    const written = await writeRawLake(lake, ROWS, { batchSize: 20, duplicateEvery: 2 });
    expect(written.rowsWritten).toBeGreaterThan(READINGS * 1.2);
    expect(await counts(config, lake)).toEqual({ readings: READINGS, distinct: READINGS, raw: written.rowsWritten, consolidated: 0 });

    // Within the retention (the day ended an hour ago, 48 h kept): consolidated, raw kept.
    const dayEnd = new Date(`${DAY}T00:00:00Z`).getTime() + 86_400_000;
    const first = await consolidateDay(config, lake, 48, new Date(dayEnd + 3_600_000));
    expect(first.map((r) => [r.city, r.status, r.rows, r.removedRaw])).toEqual(CITIES.map((c) => [c.slug, 'consolidated', READINGS / CITIES.length, 0]).sort());
    expect(await counts(config, lake)).toEqual({ readings: READINGS, distinct: READINGS, raw: written.rowsWritten, consolidated: READINGS });

    const db = await openLakeDatabase(config, lake);
    try {
      const check = await db.connection.runAndReadAll(`
        WITH c AS (SELECT *, lag(current_time_utc) OVER (PARTITION BY city ORDER BY current_time_utc, id) AS before FROM consolidated_readings)
        SELECT count(*) FILTER (WHERE before > current_time_utc), count(*) FILTER (WHERE event_id > 0), count(DISTINCT kafka_offset::VARCHAR || kafka_partition) FROM c`);
      const [unsorted, fired, positions] = check.getRows()[0]!.map(Number);
      expect(unsorted).toBe(0);
      expect(positions).toBe(READINGS);
      expect(fired).toBe(ROWS.flat().filter((r) => r.event.id > 0).length);
      // The rows of the part files are in time order in the file itself.
      const files = await db.connection.runAndReadAll(
        `SELECT count(*) FROM (SELECT current_time_utc < lag(current_time_utc) OVER (PARTITION BY filename ORDER BY file_row_number) AS back FROM read_parquet([${db.snapshot.settledParts.map((k) => `'${lake.duckdbPath(k)}'`).join(',')}], filename = true, file_row_number = true)) WHERE back`,
      );
      expect(Number(files.getRows()[0]![0])).toBe(0);
    } finally {
      db.close();
    }

    // Re-running changes nothing; past the retention the raw files go, the readings stay.
    const before = await objectHashes(lake, 'consolidated/');
    const again = await consolidateDay(config, lake, 48, new Date(dayEnd + 3_600_000));
    expect(again.every((r) => r.status === 'unchanged' && r.removedRaw === 0)).toBe(true);
    expect(await objectHashes(lake, 'consolidated/')).toEqual(before);
    const expired = await consolidateDay(config, lake, 48, new Date(dayEnd + 49 * 3_600_000));
    expect(expired.reduce((n, r) => n + r.removedRaw, 0)).toBe(written.keys.length);
    expect(await lake.list('raw/')).toEqual([]);
    expect(await objectHashes(lake, 'consolidated/')).toEqual(before);
    expect(await counts(config, lake)).toEqual({ readings: READINGS, distinct: READINGS, raw: 0, consolidated: READINGS });
  });

  it('merges raw files that arrive after a consolidation without counting a reading twice', async () => {
    const { config, lake } = await backend.make();
    const [early, late] = [ROWS.map((rows) => rows.slice(0, 30)), ROWS.map((rows) => rows.slice(20, 60))];
    await writeRawLake(lake, early, { batchSize: 10 });
    await consolidateDay(config, lake, 0);
    const city = CITIES[0]!.slug;
    const firstManifest = await readManifest(lake, { date: DAY, city });
    // Late files overlap the consolidated rows (offsets 20..29 again): the view must count them once.
    await writeRawLake(lake, late, { batchSize: 10 });
    const expected = distinctReadings(ROWS.map((rows) => rows.slice(0, 60)));
    expect((await counts(config, lake)).readings).toBe(expected);
    expect((await counts(config, lake)).distinct).toBe(expected);

    const second = await consolidateDay(config, lake, 0);
    expect(second.every((r) => r.status === 'consolidated' && r.removedRaw > 0)).toBe(true);
    expect(await counts(config, lake)).toMatchObject({ readings: expected, distinct: expected, consolidated: expected, raw: 0 });
    // The superseded part stays one run (readers that opened before the switch can finish), then goes.
    const parts = async () => (await lake.list(`consolidated/weather/date=${DAY}/city=${city}/`)).filter((k) => k.endsWith('.parquet'));
    expect(await parts()).toHaveLength(2);
    expect(await parts()).toContain(`consolidated/weather/date=${DAY}/city=${city}/${firstManifest!.file}`);
    const third = await consolidateDay(config, lake, 0);
    expect(third.every((r) => r.status === 'unchanged' && r.removedParts === 1)).toBe(true);
    expect(await parts()).toHaveLength(1);
    expect((await counts(config, lake)).readings).toBe(expected);
  });
});

describe('raw objects and the S3 lifecycle (real S3 server)', () => {
  it('tags a raw object kots-consolidated=true only once a verified part named by a manifest holds its readings', async () => {
    const config = testConfig(testEnvironment(await createBucket()));
    const lake = openLake(config.lake) as S3Lake;
    const tags = async (key: string) => (await lake.client.send(new GetObjectTaggingCommand({ Bucket: lake.bucket, Key: key }))).TagSet ?? [];
    const early = await writeRawLake(
      lake,
      ROWS.map((rows) => rows.slice(0, 30)),
      { batchSize: 10 },
    );
    for (const key of early.keys) expect(await tags(key), key).toEqual([]);
    await consolidateDay(config, lake, 1e6);
    for (const key of early.keys) expect(await tags(key), key).toEqual([{ Key: CONSOLIDATED_TAG.key, Value: CONSOLIDATED_TAG.value }]);
    // Raw files that arrive later stay untagged (never expired by the lifecycle rule) until a run consolidates them.
    const late = await writeRawLake(
      lake,
      ROWS.map((rows) => rows.slice(30, 50)),
      { batchSize: 10 },
    );
    const fresh = late.keys.filter((k) => !early.keys.includes(k));
    expect(fresh.length).toBeGreaterThan(0);
    for (const key of fresh) expect(await tags(key), key).toEqual([]);
    await consolidateDay(config, lake, 1e6);
    for (const key of fresh) expect(await tags(key), key).toEqual([{ Key: CONSOLIDATED_TAG.key, Value: CONSOLIDATED_TAG.value }]);
  });
});
