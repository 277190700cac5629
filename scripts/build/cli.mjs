#!/usr/bin/env node
/**
 * Compiles the `kots` command to JavaScript in dist/cli/, so a start does not pay for
 * compiling TypeScript (tsx took 1.3-1.8 s for `kots --version`).
 *
 * One ESM bundle of our own code, split at every `await import()`: a command's heavy
 * modules (Kafka, S3, DuckDB, MQTT) become chunks that load only when that command runs.
 * Packages stay external and load from node_modules as usual.
 *
 * dist/cli/inputs.json lists the sources and the build time; bin/kots.js runs dist/ only
 * while none of them changed since, and the TypeScript sources through tsx otherwise,
 * so an edit is never hidden behind a stale build.
 *
 * Run by `npm install` / `npm ci` (prepare), `npm run build`, and vitest's global setup.
 * Plain JavaScript on purpose: it must run before anything else is built.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function buildCli({ quiet = false } = {}) {
  const startedAt = Date.now();
  // Build beside dist/cli/ and swap it in, so a kots process starting meanwhile never sees half a build.
  // Only dist/cli/ is ours: the agent binaries live in dist/agent/.
  mkdirSync(join(root, 'dist'), { recursive: true });
  const staging = join(root, 'dist', `cli.${process.pid}.tmp`);
  rmSync(staging, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { main: 'cli/main.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    packages: 'external',
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
    logLevel: quiet ? 'error' : 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs).filter((file) => !file.startsWith('node_modules/'));
  writeFileSync(join(staging, 'inputs.json'), `${JSON.stringify({ builtAt: startedAt, inputs })}\n`);
  const dist = join(root, 'dist', 'cli');
  const old = join(root, 'dist', `cli.${process.pid}.old`);
  // Two builds at once (two test runs in one checkout) may cross here: either result is as fresh.
  try {
    renameSync(dist, old);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  try {
    renameSync(staging, dist);
  } catch (error) {
    if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
  if (!quiet) process.stdout.write(`built dist/cli/ from ${inputs.length} sources in ${Date.now() - startedAt} ms (${relative(process.cwd(), dist) || '.'})\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCli({ quiet: process.argv.includes('--quiet') });
}
