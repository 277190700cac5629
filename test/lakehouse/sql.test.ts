/**
 * `kots sql` and the lake views: the same raw files on the real S3 server and
 * in a local folder give the same answers (half of them consolidated, so both
 * paths of the `readings` view are used); Hive partitions prune files; every
 * output format; MotherDuck up to the connection (a stand-in: MotherDuck
 * cannot be reached from this machine).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CITIES, resolveCity } from '../../agent/cities.js';
import type { KotsConfig } from '../../core/config/index.js';
import { openLake, type Lake } from '../../core/lake/index.js';
import { consolidatePartition } from '../../lakehouse/consolidate.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { openDuck } from '../../lakehouse/duckdb.js';
import { formatResult, runQuery, writeParquet } from '../../lakehouse/format.js';
import { connectMotherDuck, motherduckStatements, redactSecrets, type PlannedStatement } from '../../lakehouse/motherduck.js';
import { spawnKots } from '../helpers/processes.js';
import { createBucket, testConfig, testEnvironment } from '../helpers/servers.js';
import { distinctReadings, simulatedRows, writeRawLake } from './fixtures.js';

const CITIES = DEFAULT_CITIES.slice(0, 4).map(resolveCity);
const ROWS = simulatedRows({ cities: CITIES, from: new Date('2026-04-01T00:00:00Z'), hours: 72, intervalMinutes: 20 });
const COUNTS = `
  SELECT 'all' AS k, count(*) AS n, count(DISTINCT id) AS ids FROM readings
  UNION ALL SELECT 'raw', count(*), count(DISTINCT id) FROM raw_readings
  UNION ALL SELECT 'events', count(*), count(DISTINCT event_id) FROM events
  UNION ALL SELECT 'date=' || date || ' city=' || city, count(*), count(DISTINCT id) FROM readings GROUP BY date, city
  UNION ALL SELECT 'event ' || event_name, count(*), count(DISTINCT id) FROM readings GROUP BY event_name
  ORDER BY k`;

interface Side {
  env: Record<string, string>;
  config: KotsConfig;
  lake: Lake;
}

let s3: Side;
let local: Side;

async function prepare(env: Record<string, string>): Promise<Side> {
  const config = testConfig(env);
  const lake = openLake(config.lake);
  await writeRawLake(lake, ROWS, { batchSize: 30, duplicateEvery: 2 });
  // Day one consolidated, the other days raw: both ways through the readings view.
  const duck = await openDuck(config);
  try {
    for (const city of CITIES) await consolidatePartition({ lake, connection: duck.connection, retentionHours: 1e6 }, { date: '2026-04-01', city: city.slug });
  } finally {
    duck.close();
  }
  return { env, config, lake };
}

beforeAll(async () => {
  s3 = await prepare(testEnvironment(await createBucket()));
  local = await prepare({ KOTS_LAKE_PATH: mkdtempSync(join(tmpdir(), 'kots-sql-')), KOTS_LOG_LEVEL: 'warn' });
});

async function kotsSql(env: Record<string, string>, args: string[]): Promise<{ code: number | null; output: string }> {
  const run = spawnKots(['sql', ...args], env);
  const code = await new Promise<number | null>((resolve) => run.child.once('exit', resolve));
  return { code, output: run.output() };
}

const jsonLines = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('kots sql over the lake', () => {
  it('returns the same counts over the S3 server as over the local lake', async () => {
    const [overS3, overLocal] = [await kotsSql(s3.env, ['--format', 'json', COUNTS]), await kotsSql(local.env, ['--format', 'json', COUNTS])];
    expect(overS3.code, overS3.output).toBe(0);
    expect(overLocal.code, overLocal.output).toBe(0);
    const rows = jsonLines(overS3.output);
    expect(rows).toEqual(jsonLines(overLocal.output));
    const readings = distinctReadings(ROWS);
    expect(rows.find((r) => r.k === 'all')).toEqual({ k: 'all', n: readings, ids: readings });
    expect(Number(rows.find((r) => r.k === 'raw')!.n)).toBeGreaterThan(readings);
    expect(rows.filter((r) => String(r.k).startsWith('date='))).toHaveLength(3 * CITIES.length);
  });

  it('prunes files by date and city (EXPLAIN ANALYZE over S3)', async () => {
    const db = await openLakeDatabase(s3.config);
    try {
      const filesRead = async (where: string) => {
        const plan = String((await db.connection.runAndReadAll(`EXPLAIN ANALYZE SELECT count(*) FROM readings WHERE ${where}`)).getRows()[0]![1]);
        return [...plan.matchAll(/Total Files Read: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      };
      const all = db.snapshot.settledParts.length + db.snapshot.pendingRaw.length + db.snapshot.touchedParts.length;
      expect(db.snapshot.settledParts).toHaveLength(CITIES.length);
      // A consolidated day and city: its one part file. A raw day and city: only its raw files.
      expect(await filesRead(`date = '2026-04-01' AND city = '${CITIES[0]!.slug}'`)).toBe(1);
      const rawOfOne = db.snapshot.pendingRaw.filter((k) => k.includes(`date=2026-04-02/city=${CITIES[1]!.slug}/`)).length;
      expect(rawOfOne).toBeGreaterThan(0);
      expect(await filesRead(`date = '2026-04-02' AND city = '${CITIES[1]!.slug}'`)).toBe(rawOfOne);
      expect(await filesRead('true')).toBe(all);
    } finally {
      db.close();
    }
  });

  it('writes table, CSV, JSON and Parquet output', async () => {
    const db = await openLakeDatabase(local.config);
    try {
      const sql = `SELECT city, count(*) AS readings FROM readings WHERE date = '2026-04-02' GROUP BY city ORDER BY city`;
      const result = await runQuery(db.connection, sql);
      const slugs = CITIES.map((c) => c.slug).sort();
      expect(formatResult(result, 'csv').split('\n')).toEqual([
        'city,readings',
        ...slugs.map(
          (s) =>
            `${s},${ROWS.flat().filter((r) => r.reading.city.slug === s && new Date(r.reading.observed_at).toISOString().startsWith('2026-04-02')).length}`,
        ),
      ]);
      expect(
        formatResult(result, 'json')
          .split('\n')
          .map((l) => JSON.parse(l).city),
      ).toEqual(slugs);
      expect(formatResult(result, 'table')).toMatch(new RegExp(`^city\\s+│ readings\\n─+┼─+\\n${slugs[0]}`));
      expect(formatResult(result, 'table')).toMatch(/\(4 rows\)$/);
      const file = join(mkdtempSync(join(tmpdir(), 'kots-out-')), 'out.parquet');
      await writeParquet(db.connection, `${sql};`, file);
      const check = await (await DuckDBInstance.create(':memory:')).connect();
      const back = (await runQuery(check, `SELECT city, readings FROM '${file}' ORDER BY city`)).rows;
      expect(back).toEqual(result.rows);
      expect(readFileSync(file).subarray(0, 4).toString()).toBe('PAR1');
    } finally {
      db.close();
    }
  });
});

describe('MotherDuck (stand-in: MotherDuck cannot be reached from this machine, so everything up to the connection is tested)', () => {
  const TOKEN = 'md-test-token-d0-not-print-me';

  it('plans the views in md:<database> with the bucket secret stored IN MOTHERDUCK, credentials redacted when shown', async () => {
    const config = testConfig({ ...s3.env, KOTS_DUCKDB_MOTHERDUCK_TOKEN: TOKEN, KOTS_DUCKDB_MOTHERDUCK_DATABASE: 'kots_lake' });
    const db = await openLakeDatabase(s3.config);
    let plan: PlannedStatement[];
    try {
      plan = motherduckStatements(config, s3.lake, db.snapshot);
    } finally {
      db.close();
    }
    const sql = plan.map((s) => s.sql);
    expect(sql.slice(0, 2)).toEqual(['CREATE DATABASE IF NOT EXISTS kots_lake', 'USE kots_lake']);
    expect(sql[2]).toMatch(
      new RegExp(
        `^CREATE OR REPLACE SECRET kots_lake IN MOTHERDUCK \\(TYPE s3, .*KEY_ID '${config.lake.accessKeyId}', SECRET '${config.lake.secretAccessKey}'.*SCOPE 's3://${config.lake.bucket}'\\)$`,
      ),
    );
    expect(sql.slice(3).map((s) => /^CREATE OR REPLACE VIEW (\S+)/.exec(s)![1])).toEqual([
      'kots_lake.main.raw_readings',
      'kots_lake.main.consolidated_readings',
      'kots_lake.main.readings',
      'kots_lake.main.events',
    ]);
    expect(sql[5]).toContain(`s3://${config.lake.bucket}/consolidated/weather/date=2026-04-01/`);
    const shown = plan.map((s) => s.shown).join('\n');
    expect(shown).toContain("KEY_ID '***', SECRET '***'");
    expect(shown).not.toContain(config.lake.secretAccessKey!);
    expect(sql.join('\n')).not.toContain(TOKEN);
    expect(redactSecrets("SECRET 'it''s'")).toBe("SECRET '***'");
  });

  it('fails to connect with a clear error that never contains the token (library and kots sql --motherduck)', async () => {
    const config = testConfig({ ...s3.env, KOTS_DUCKDB_MOTHERDUCK_TOKEN: TOKEN });
    const error = await connectMotherDuck(config).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(/^cannot connect to MotherDuck \(md:kots\): /);
    expect(error?.message).not.toContain(TOKEN);
    const run = await kotsSql({ ...s3.env, KOTS_DUCKDB_MOTHERDUCK_TOKEN: TOKEN, KOTS_LOG_LEVEL: 'debug' }, ['SELECT count(*) FROM readings']);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/kots: cannot connect to MotherDuck \(md:kots\)/);
    expect(run.output).not.toContain(TOKEN);
    await expect(connectMotherDuck(testConfig({ KOTS_LAKE_PATH: '/tmp/x', KOTS_DUCKDB_MOTHERDUCK_TOKEN: TOKEN }))).rejects.toThrow(/must be an S3 bucket/);
  });
});
