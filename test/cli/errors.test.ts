/**
 * Every user error is one line on stderr saying what to do, with exit code 2; a server that
 * does not answer is named with its address; stack traces only with --debug.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/own-servers.js';
import { KOTS_BIN, bareEnvironment } from '../helpers/processes.js';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function kots(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const cwd = mkdtempSync(join(tmpdir(), 'kots-errors-'));
  const base = bareEnvironment();
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [KOTS_BIN, ...args], { cwd, env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

const lines = (text: string) => text.trimEnd().split('\n').filter(Boolean);

function expectOneLine(outcome: Outcome, code: number, pattern: RegExp): void {
  expect(lines(outcome.stderr), outcome.stderr).toHaveLength(1);
  expect(outcome.stderr.trimEnd()).toMatch(pattern);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
  expect(outcome.code).toBe(code);
}

describe('user errors', () => {
  it('kots sql --file with a missing file: one line naming it, exit 2', async () => {
    expectOneLine(await kots(['sql', '--file', 'nosuch.sql']), 2, /^kots: .*nosuch\.sql: no such file/);
  });

  it('kots sql -f reads a file, as in the DuckDB CLI and psql: "-f parquet" says so and points at --format', async () => {
    expectOneLine(
      await kots(['sql', '-f', 'parquet', 'select 1']),
      2,
      /^kots: -f reads a SQL file .* no file "parquet"; for the result format write --format parquet$/,
    );
    expectOneLine(await kots(['sql', '--format', 'parquet', '-c', 'select 1']), 2, /^kots: --format parquet writes a file: add -o FILE\.parquet$/);
  });

  it('an unknown option or command: one line and exit 2', async () => {
    expectOneLine(await kots(['sql', '--nosuch']), 2, /^kots: unknown option '--nosuch'/);
    expectOneLine(await kots(['nosuch']), 2, /^kots: unknown command 'nosuch'/);
  });

  it('a day that does not exist is refused: consolidate --date 2026-02-30', async () => {
    expectOneLine(await kots(['consolidate', '--date', '2026-02-30']), 2, /^kots: expected a date as YYYY-MM-DD.*"2026-02-30"/);
  });

  it('a mistyped setting: exit 2 and "did you mean"', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kots-errors-config-'));
    const file = join(dir, 'kots.yaml');
    writeFileSync(file, 'kafka:\n  broker: ["127.0.0.1:9092"]\n');
    const outcome = await kots(['--config', file, 'config', 'check']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/kafka\.broker: unknown setting; did you mean kafka\.brokers\?/);
    expect(outcome.stderr).not.toMatch(/\n\s+at /);
  });

  it('a consumer whose Kafka is not there: one line naming the address, in seconds, not a minute of JSON and a trace', async () => {
    const port = await freePort();
    const outcome = await kots(['consumer'], { KAFKA_BROKERS: `127.0.0.1:${port}` });
    expectOneLine(outcome, 1, new RegExp(`^kots: cannot reach Kafka at 127\\.0\\.0\\.1:${port} connection refused \\(kafka\\.brokers / KAFKA_BROKERS\\)`));
    expect(outcome.stdout).toBe('');
    expect(outcome.ms).toBeLessThan(15_000);
  });

  it('an S3 lake whose server is not there is named with its address', async () => {
    const port = await freePort();
    const outcome = await kots(['consolidate', '--date', '2026-03-01'], { S3_ENDPOINT: `http://127.0.0.1:${port}`, S3_BUCKET: 'lake' });
    expectOneLine(
      outcome,
      1,
      new RegExp(`^kots: cannot reach the S3 server at http://127\\.0\\.0\\.1:${port} \\(lake\\.endpoint / S3_ENDPOINT\\): connection refused`),
    );
  });

  it('--debug adds the stack trace', async () => {
    const outcome = await kots(['--debug', 'sql', '--file', 'nosuch.sql']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(/nosuch\.sql/);
    expect(outcome.stderr).toMatch(/\n\s+at /);
  });
});
