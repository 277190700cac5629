/**
 * `kots consolidate` killed with SIGKILL at several points of a run on the
 * real S3 server: after every kill the `readings` view still counts every
 * reading exactly once, and re-running converges to exactly the objects of a
 * run that was never interrupted.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CITIES, resolveCity } from '../../agent/cities.js';
import type { KotsConfig } from '../../core/config/index.js';
import { openLake, type Lake } from '../../core/lake/index.js';
import { consolidateDay } from '../../lakehouse/consolidate.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { openDuck } from '../../lakehouse/duckdb.js';
import { spawnKots, waitFor, type KotsProcess } from '../helpers/processes.js';
import { createBucket, testConfig, testEnvironment } from '../helpers/servers.js';
import { distinctReadings, simulatedRows, writeRawLake } from './fixtures.js';

const CITIES = DEFAULT_CITIES.slice(0, 4).map(resolveCity);
const ROWS = simulatedRows({ cities: CITIES, from: new Date('2026-02-01T00:00:00Z'), hours: 48, intervalMinutes: 15 });
const READINGS = distinctReadings(ROWS);
const DATES = ['2026-02-01', '2026-02-02'];
const ARGS = ['consolidate', '--from', '2026-02-01', '--to', '2026-02-02', '--retention-hours', '0'];
// A killed run leaves its day's lease behind; the next run takes it over once it expires.
const LEASE_SECONDS = 2;

const children: KotsProcess[] = [];
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
});

/** The same consolidation in this process, never interrupted: what every crashed run must end up as. */
async function consolidateInProcess(config: KotsConfig, lake: Lake): Promise<void> {
  const duck = await openDuck(config);
  try {
    for (const date of DATES) await consolidateDay({ lake, connection: duck.connection, retentionHours: 0 }, date);
  } finally {
    duck.close();
  }
}

async function freshLake(): Promise<{ env: Record<string, string>; config: KotsConfig; lake: Lake }> {
  const env = { ...testEnvironment(await createBucket()), KOTS_LOG_LEVEL: 'debug', KOTS_CONSOLIDATE_LEASE_SECONDS: String(LEASE_SECONDS) };
  const config = testConfig(env);
  const lake = openLake(config.lake);
  await writeRawLake(lake, ROWS, { batchSize: 40, duplicateEvery: 3 });
  return { env, config, lake };
}

async function snapshotOf(lake: Lake): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await lake.list(''))
    out[key] = createHash('sha256')
      .update(await lake.get(key))
      .digest('hex');
  return out;
}

async function readingCounts(config: KotsConfig): Promise<[number, number]> {
  const db = await openLakeDatabase(config);
  try {
    const row = (await db.connection.runAndReadAll('SELECT count(*), count(DISTINCT id) FROM readings')).getRows()[0]!;
    return [Number(row[0]), Number(row[1])];
  } finally {
    db.close();
  }
}

async function runToEnd(env: Record<string, string>): Promise<string> {
  const run = spawnKots(ARGS, env);
  children.push(run);
  const code = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  expect(code, run.output()).toBe(0);
  return run.output();
}

/** SIGKILLs a run once its output shows `step` for the n-th time. */
async function killAt(env: Record<string, string>, step: string, nth: number): Promise<string> {
  const run = spawnKots(ARGS, env);
  children.push(run);
  const seen = () => run.output().split(`"step":"${step}"`).length - 1;
  await waitFor(`${step} #${nth}`, async () => seen() >= nth || run.child.exitCode !== null, 60_000, 5);
  await run.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 500));
  return `${step} #${nth}: ${run.child.signalCode ?? `exited ${run.child.exitCode}`}`;
}

describe('kots consolidate killed mid-run (real S3 server, child process)', () => {
  it('leaves the readings view exact after every SIGKILL and converges to the objects of an uninterrupted run', async () => {
    const reference = await freshLake();
    await consolidateInProcess(reference.config, reference.lake);
    const expected = await snapshotOf(reference.lake);
    expect(Object.keys(expected).filter((k) => k.startsWith('raw/'))).toEqual([]);
    expect(Object.keys(expected).filter((k) => k.endsWith('_manifest.json'))).toHaveLength(8);
    expect(await readingCounts(reference.config)).toEqual([READINGS, READINGS]);

    const crashed = await freshLake();
    const kills: string[] = [];
    // Points spread over a run: after the first part upload (before its manifest), after a manifest, after raw removals began.
    for (const [step, nth] of [
      ['part-written', 1],
      ['manifest-written', 2],
      ['raw-removed', 4],
    ] as const) {
      kills.push(await killAt(crashed.env, step, nth));
      expect(await readingCounts(crashed.config), `after kill at ${kills.at(-1)}`).toEqual([READINGS, READINGS]);
    }
    expect(kills.filter((k) => k.endsWith('SIGKILL')).length, kills.join('; ')).toBeGreaterThanOrEqual(2);
    await runToEnd(crashed.env);
    expect(await snapshotOf(crashed.lake)).toEqual(expected);
    expect(await readingCounts(crashed.config)).toEqual([READINGS, READINGS]);
    // Spawning node is slow on a loaded 2-core machine: four child processes get their own budget.
  }, 300_000);
});
