/**
 * `kots simulate` from nothing (issue 15): it runs the pipeline in its own process, consolidates
 * and says what to run next; pointed at a broker that does not answer it says so in seconds.
 * Then the challenge on that data: for every event that fired, the true condition scores full
 * recall, with the original rules and with a game master's seeded variant, the conditions read
 * only through `kots challenge reveal`. A condition on the answer columns is refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LocalLake } from '../../core/lake/index.js';
import { scoreHypothesis } from '../../lakehouse/challenge.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { bareEnvironment, KOTS_BIN } from '../helpers/processes.js';
import { testConfig } from '../helpers/servers.js';

const run = promisify(execFile);

async function kots(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [KOTS_BIN, ...args], { cwd, env: bareEnvironment(), maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

interface RevealedRule {
  id: number;
  name: string;
  condition: string;
  gate: number;
}

/** Scores each revealed condition against the events the lake holds; returns the ids that fired. */
async function expectFullRecall(cwd: string, rules: RevealedRule[]): Promise<number[]> {
  const path = join(cwd, 'kots-lake');
  const db = await openLakeDatabase(testConfig({ KOTS_LAKE_PATH: path }), new LocalLake(path));
  try {
    const fired = (await db.connection.runAndReadAll('SELECT DISTINCT event_id FROM readings WHERE event_id > 0 ORDER BY 1'))
      .getRows()
      .map((r) => Number(r[0]));
    for (const id of fired) {
      const rule = rules.find((r) => r.id === id)!;
      const score = await scoreHypothesis(db.connection, String(id), rule.condition);
      expect(score.recall, `${rule.name} with ${rule.condition}: ${score.verdict}`).toBe(1);
    }
    return fired;
  } finally {
    db.close();
  }
}

async function simulateTwoDays(cwd: string, ...extra: string[]): Promise<{ stdout: string; readings: number }> {
  const result = await kots(cwd, 'simulate', '--days', '2', ...extra);
  expect(result.code, result.stderr).toBe(0);
  const readings = Number(/simulated ([\d,]+) readings of 8 cities/.exec(result.stdout)?.[1]?.replaceAll(',', ''));
  expect(readings).toBeGreaterThan(8 * 2 * 144 * 0.9);
  return { stdout: result.stdout, readings };
}

async function reveal(cwd: string): Promise<{ variant: boolean; rules: RevealedRule[] }> {
  const result = await kots(cwd, 'challenge', 'reveal', '--yes', '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { variant: boolean; rules: RevealedRule[] };
}

describe('kots simulate', () => {
  it('says within seconds that no broker answers at --broker', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const started = Date.now();
    const result = await kots(mkdtempSync(join(tmpdir(), 'kots-sim-nobroker-')), 'simulate', '--days', '1', '--broker', `mqtt://127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`no MQTT broker answers at mqtt://127\\.0\\.0\\.1:${port}`));
  });

  it('runs the pipeline in its own process, consolidates, and the original rules’ true conditions score full recall', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kots-sim-'));
    const { stdout, readings } = await simulateTwoDays(cwd);
    expect(stdout).toMatch(/pipeline in this process/);
    expect(stdout).toMatch(/^simulate: 2026-01-0\d · [\d,]+ of about 2,304 readings/m);
    expect(stdout).toMatch(/consolidated 2026-01-01 … 2026-01-02: [\d,]+ readings in 16 city-days/);
    expect(stdout).toMatch(/next: kots challenge events/);

    const count = await kots(cwd, 'sql', '--format', 'csv', 'SELECT count(*) AS n, count(DISTINCT city) AS cities FROM consolidated_readings');
    expect(count.stdout.trim().split('\n')).toEqual(['n,cities', `${readings},8`]);
    const events = await kots(cwd, 'challenge', 'events');
    expect(events.stdout).toMatch(/\(10 rows\)/);

    const revealed = await reveal(cwd);
    expect(revealed.variant).toBe(false);
    expect((await expectFullRecall(cwd, revealed.rules)).length).toBeGreaterThanOrEqual(5);

    const refused = await kots(cwd, 'challenge', 'check', 'two-moons', '--where', 'event_id = 2');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toEqual([
      'kots: refused: the condition uses "event_id", an answer column (event_*) or view; describe the weather, not the answer',
    ]);
  });

  it('labels with a seeded secret variant that only reveal shows, and its true conditions score full recall', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kots-sim-variant-'));
    const original = await reveal(cwd);
    expect(original.variant).toBe(false);
    const originalRules = original.rules;
    const drawn = await kots(cwd, 'challenge', 'new', '--seed', 'kots-test-7');
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(drawn.stdout).toMatch(/secret variant of the ten rules is active/);
    expect(drawn.stdout).not.toMatch(/main_temp|wind_speed|hour\(/);
    await simulateTwoDays(cwd, '--no-consolidate');

    const revealed = await reveal(cwd);
    expect(revealed.variant).toBe(true);
    expect(revealed.rules.map((r) => r.name)).toEqual(originalRules.map((r) => r.name));
    expect(revealed.rules.map((r) => `${r.condition} ${r.gate}`)).not.toEqual(originalRules.map((r) => `${r.condition} ${r.gate}`));
    expect((await expectFullRecall(cwd, revealed.rules)).length).toBeGreaterThanOrEqual(5);
  });
});
