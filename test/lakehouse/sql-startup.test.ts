/**
 * `kots sql` over a local folder loads only what it uses: DuckDB, the config and logging
 * packages, not the S3 client (a second or more to load on a small machine), Vault's client,
 * the reading validators (ajv) or the streaming stages' packages.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CITIES, resolveCity } from '../../agent/cities.js';
import { LocalLake } from '../../core/lake/index.js';
import { distinctReadings, simulatedRows, writeRawLake } from './fixtures.js';

const KOTS_BIN = fileURLToPath(new URL('../../bin/kots.js', import.meta.url));
const TRACE = fileURLToPath(new URL('../helpers/package-trace.mjs', import.meta.url));

describe('kots sql start-up', () => {
  it('answers over a local lake without loading the S3 client, Vault, ajv or the streaming packages', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kots-sql-startup-'));
    const rows = simulatedRows({ cities: DEFAULT_CITIES.slice(0, 2).map(resolveCity), from: new Date('2026-06-01T00:00:00Z'), hours: 6, intervalMinutes: 30 });
    await writeRawLake(new LocalLake(root), rows, { batchSize: 5, duplicateEvery: 2 });
    const child = spawn(process.execPath, ['--import', TRACE, KOTS_BIN, 'sql', '--format', 'csv', 'SELECT count(*) AS n FROM readings'], {
      env: { ...process.env, KOTS_LAKE_PATH: root, KOTS_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(['n', String(distinctReadings(rows))]);
    const loaded = [...stderr.matchAll(/^\[package\] (\S+)$/gm)].map((m) => m[1]);
    expect(loaded).toContain('@duckdb/node-api');
    for (const unused of ['@aws-sdk/client-s3', 'node-vault', 'ajv', 'kafkajs', 'aedes', 'mqtt', 'prom-client']) expect(loaded, unused).not.toContain(unused);
  });
});
