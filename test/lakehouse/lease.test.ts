/**
 * One consolidation of a day at a time (lakehouse/lease.ts), on the real S3
 * server (conditional writes) and on a local folder: a held lease keeps a
 * second run out, an expired one (a crashed run) is taken over and its old
 * holder stops at its next fence, and two runs that overlap can no longer
 * leave a manifest naming a part the other one deleted.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CITIES, resolveCity } from '../../agent/cities.js';
import type { KotsConfig } from '../../core/config/index.js';
import { KotsError } from '../../core/errors.js';
import { LocalLake, openLake, type Lake } from '../../core/lake/index.js';
import { consolidateDay, leaseKey } from '../../lakehouse/consolidate.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { openDuck, type Duck } from '../../lakehouse/duckdb.js';
import { acquireLease } from '../../lakehouse/lease.js';
import { readManifest } from '../../lakehouse/manifest.js';
import { spawnKots } from '../helpers/processes.js';
import { createBucket, testConfig, testEnvironment } from '../helpers/servers.js';
import { distinctReadings, simulatedRows, writeRawLake } from './fixtures.js';

const DAY = '2026-05-04';
const CITIES = DEFAULT_CITIES.slice(0, 4).map(resolveCity);
const ROWS = simulatedRows({ cities: CITIES, from: new Date(`${DAY}T00:00:00Z`), hours: 24, intervalMinutes: 5 });

const ducks: Duck[] = [];
afterAll(() => {
  for (const duck of ducks) duck.close();
});

const backends: Array<[string, () => Promise<{ env: Record<string, string>; config: KotsConfig; lake: Lake }>]> = [
  [
    'S3 server',
    async () => {
      const env = testEnvironment(await createBucket());
      const config = testConfig(env);
      return { env, config, lake: openLake(config.lake) };
    },
  ],
  [
    'local folder',
    async () => {
      const env = { KOTS_LAKE_PATH: mkdtempSync(join(tmpdir(), 'kots-lease-')), KOTS_LOG_LEVEL: 'warn' };
      const config = testConfig(env);
      return { env, config, lake: new LocalLake(config.lake.path) };
    },
  ],
];

const busy = (error: unknown) => error instanceof KotsError && error.code === 'LAKE_BUSY';

async function readingCounts(config: KotsConfig, lake: Lake): Promise<[number, number]> {
  const db = await openLakeDatabase(config, lake);
  try {
    const row = (await db.connection.runAndReadAll('SELECT count(*), count(DISTINCT id) FROM readings')).getRows()[0]!;
    return [Number(row[0]), Number(row[1])];
  } finally {
    db.close();
  }
}

/** Every manifest of the day names a part that exists, whose footer holds the rows it promises. */
async function manifestsValid(config: KotsConfig, lake: Lake): Promise<void> {
  const duck = await openDuck(config);
  try {
    for (const city of CITIES) {
      const manifest = await readManifest(lake, { date: DAY, city: city.slug });
      expect(manifest, city.slug).toBeDefined();
      const path = lake.duckdbPath(`consolidated/weather/date=${DAY}/city=${city.slug}/${manifest!.file}`);
      const rows = (await duck.connection.runAndReadAll(`SELECT sum(num_rows) FROM parquet_file_metadata('${path}')`)).getRows()[0]![0];
      expect(Number(rows), city.slug).toBe(manifest!.rows);
    }
  } finally {
    duck.close();
  }
}

describe.each(backends)('the consolidation lease on the %s', (_name, make) => {
  it('keeps a second holder out, lets it in after release, and hands an expired lease over', async () => {
    const { lake } = await make();
    const key = leaseKey(DAY);
    const first = await acquireLease(lake, key, { ttlMs: 60_000, owner: 'first' });
    await expect(acquireLease(lake, key, { owner: 'second' })).rejects.toThrow(/another consolidation \(first\) holds/);
    await first.fence();
    await first.release();
    expect(await lake.list(key)).toEqual([]);

    // A crashed holder: its lease is never renewed again. Seen from a clock past its expiry, it is taken over.
    const crashed = await acquireLease(lake, key, { ttlMs: 60_000, owner: 'crashed' });
    const later = await acquireLease(lake, key, { ttlMs: 60_000, owner: 'later', now: () => Date.now() + 120_000 });
    const lost = await crashed.fence().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(busy(lost), String(lost)).toBe(true);
    await crashed.release();
    await expect(acquireLease(lake, key, { owner: 'third' })).rejects.toThrow(/another consolidation \(later\) holds/);
    await later.release();
    expect(await lake.list(key)).toEqual([]);
  });

  it('turns away a run that starts while another is between its verified part and its manifest', async () => {
    const { config, lake } = await make();
    const [early, late] = [ROWS.map((rows) => rows.slice(0, 60)), ROWS.map((rows) => rows.slice(60))];
    await writeRawLake(lake, early, { batchSize: 20, duplicateEvery: 2 });
    const [a, b] = [await openDuck(config), await openDuck(config)];
    ducks.push(a, b);
    let second: unknown = 'not started';
    // Before leases, the second run deleted the first one's part (no manifest named it yet) and the
    // first then published a manifest naming the deleted part: the day could no longer be read.
    await consolidateDay(
      {
        lake,
        connection: a.connection,
        retentionHours: 1e6,
        onStep: async (_p, step) => {
          if (step !== 'verified' || second !== 'not started') return;
          await writeRawLake(lake, late, { batchSize: 20 });
          second = await consolidateDay({ lake, connection: b.connection, retentionHours: 1e6 }, DAY).then(
            () => 'ran',
            (e: unknown) => e,
          );
        },
      },
      DAY,
    );
    expect(busy(second), String(second)).toBe(true);
    await manifestsValid(config, lake);
    // The late files are merged by the next run.
    await consolidateDay({ lake, connection: b.connection, retentionHours: 1e6 }, DAY);
    await manifestsValid(config, lake);
    expect(await readingCounts(config, lake)).toEqual([distinctReadings(ROWS), distinctReadings(ROWS)]);
  });
});

describe('two kots consolidate processes started together (real S3 server)', () => {
  it('end with one valid manifest per city and every reading readable once', async () => {
    const env = testEnvironment(await createBucket());
    const config = testConfig(env);
    const lake = openLake(config.lake);
    await writeRawLake(lake, ROWS, { batchSize: 15, duplicateEvery: 2 });
    const runs = [spawnKots(['consolidate', '--date', DAY], env), spawnKots(['consolidate', '--date', DAY], env)];
    const codes = await Promise.all(runs.map((run) => new Promise<number | null>((resolve) => run.child.once('exit', resolve))));
    const outputs = runs.map((r) => r.output());
    // Each run either consolidated (or found the day up to date), or was turned away by the lease; never both failed.
    for (const [i, code] of codes.entries()) expect(code === 0 || /another consolidation .* holds/.test(outputs[i] ?? ''), outputs[i]).toBe(true);
    expect(codes.filter((c) => c === 0).length, outputs.join('\n---\n')).toBeGreaterThanOrEqual(1);
    await manifestsValid(config, lake);
    expect(await readingCounts(config, lake)).toEqual([distinctReadings(ROWS), distinctReadings(ROWS)]);
    expect(await lake.list(leaseKey(DAY))).toEqual([]);
  }, 180_000);
});
