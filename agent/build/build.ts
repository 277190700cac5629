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
import {
  appendFileSync,
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { debianArmhfNode, SEA_FUSE, stageArmhfRuntime } from './debian-armhf.js';
import { nodeBinary } from './node-binaries.js';
import { DIST, TARGETS, binaryName, runCommand, runtimeVersion, type Target } from './targets.js';

export { DIST };
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const POSTJECT = 'postject@1.0.0-alpha.6';
/** Marks where postject may flip its (unused) fuse in the armv7l executable; see buildBinary. */
const ARMHF_INJECT_MARK = 'KOTS_ARMHF_POSTJECT_MARK_7d1f0c';
/**
 * V8 flags baked into every binary (measured with bench/agent-footprint.ts, see agent/README.md):
 * a 1 MB semi-space instead of 16 MB keeps the young generation small (an agent allocates
 * little between readings), and a 64 MB old-space cap keeps a runaway from taking a Pi's memory.
 * NODE_OPTIONS on the device still applies on top.
 */
export const SEA_EXEC_ARGV = ['--max-semi-space-size=1', '--max-old-space-size=64'];
/**
 * V8's code cache of the bundle goes into the blob: the x64 agent's private memory after a minute
 * of readings fell from 38.5 to 24.7 MB with it. A code cache is only valid for the CPU and V8 build
 * that made it, so every target's blob is written by its own Node (under qemu-user for arm).
 */
const SEA_OPTIONS = { execArgv: SEA_EXEC_ARGV, useCodeCache: true };
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

/** The runtime tree an armv7l binary needs beside it on the device (see debian-armhf.ts); none for the others. */
export function runtimeTree(target: Target): string | undefined {
  if (target.runtime.kind !== 'debian-armhf') return undefined;
  if (!target.qemu) throw new Error(`${target.name}: a debian-armhf target names its qemu sysroot (agent/build/targets.ts)`);
  return target.qemu.sysroot;
}

export function buildBinary(target: Target, bundle: string): { path: string; rebuilt: boolean } {
  const out = join(DIST, binaryName(target));
  const stamp = `${out}.inputs`;
  const armhf = target.runtime.kind === 'debian-armhf' ? debianArmhfNode() : undefined;
  const inputs = hashOf(
    readFileSync(bundle),
    JSON.stringify(target),
    armhf?.debianVersion ?? '',
    readFileSync(fileURLToPath(import.meta.url)),
    readFileSync(join(here, 'debian-armhf.ts')),
  );
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === inputs) return { path: out, rebuilt: false };

  const version = runtimeVersion(target);
  const work = join(DIST, `work-${target.name}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const executable = join(work, 'kots-agent');
  let maker: string;
  let makerArgs: string[];
  if (target.runtime.kind === 'npm') {
    copyFileSync(nodeBinary(target.runtime.pkg, version), executable);
    [maker, makerArgs] = runCommand(target, executable, []);
  } else {
    const tree = runtimeTree(target);
    if (!tree || !armhf || !target.qemu) throw new Error(`${target.name}: a debian-armhf target needs Debian's armhf node and a qemu sysroot`);
    rmSync(tree, { recursive: true, force: true });
    stageArmhfRuntime(armhf, tree, executable);
    // Debian's own node writes the blob, under qemu-arm in its sysroot.
    [maker, makerArgs] = [target.qemu.program, ['-L', armhf.sysroot, join(armhf.sysroot, 'usr/bin/node')]];
  }
  const blob = join(work, 'sea.blob');
  const seaConfig = join(work, 'sea-config.json');
  writeFileSync(seaConfig, JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, ...SEA_OPTIONS }));
  try {
    execFileSync(maker, [...makerArgs, '--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `${maker} not found: the ${target.name} blob is written by its own Node under qemu-user; run agent/build/install-qemu.sh`
        : `writing the SEA blob for ${target.name} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`,
      { cause: error },
    );
  }

  chmodSync(executable, 0o755);
  if (target.runtime.kind === 'npm') {
    postject([executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  } else {
    // Debian's fuse is in libnode.so (set by stageArmhfRuntime); postject still wants one in the
    // file it injects into, so it gets a throw-away copy after the end of the executable.
    appendFileSync(executable, `${ARMHF_INJECT_MARK}:0`);
    postject([executable, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', ARMHF_INJECT_MARK]);
  }
  rmSync(out, { force: true });
  renameSync(executable, out);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(stamp, inputs);
  return { path: out, rebuilt: true };
}

/**
 * One build at a time in dist/agent: test files run in parallel and several
 * ask for the binaries at once; a second build would rewrite the bundle, a
 * blob or the armv7l runtime tree under the first. A lock older than
 * LOCK_STALE_MS is from a killed build and is taken over.
 */
const LOCK_STALE_MS = 20 * 60_000;

async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(DIST, '.build.lock');
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) rmSync(lock, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { force: true });
  }
}

export async function buildAgentBinaries(names: string[] = []): Promise<string[]> {
  mkdirSync(DIST, { recursive: true });
  return withBuildLock(() => buildLocked(names));
}

async function buildLocked(names: string[]): Promise<string[]> {
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
