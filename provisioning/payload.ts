/**
 * The agent payload of one target: the single binary (and, for armv7l, the
 * runtime tree it needs beside it, see agent/build/debian-armhf.ts), with the
 * sha256 of every file. It is the same for every device of a target and
 * version, so a fleet gets one copy per target, never one per device:
 *
 *   <out>/binaries/<target>-<agent version>-<sha256 of the binary, 12 hex>/
 *     SHA256SUMS                      sha256sum format, paths relative to this folder
 *     rootfs/usr/local/bin/kots-agent the files at their paths on the device
 *     rootfs/usr/local/lib/kots-agent/armhf/...   (linux-armv7l only)
 *
 * Each device's install.sh carries the expected sums itself and checks the
 * copy on the device before installing it.
 */
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AGENT_VERSION } from '../agent/health.js';
import type { TargetName } from './manifest.js';
import { PATHS } from './device-files.js';

export interface PayloadFile {
  /** Absolute path on the device. */
  path: string;
  /** The local file. */
  source: string;
  mode: number;
  sha256: string;
}

export interface TargetPayload {
  /** `<target>-<agent version>-<binary sha256 prefix>`: the folder name under binaries/. */
  name: string;
  target: TargetName;
  files: PayloadFile[];
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function walk(root: string, prefix = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true })) {
    const rel = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) found.push(...walk(root, rel));
    else if (entry.isFile()) found.push(rel);
  }
  return found.sort();
}

/**
 * The payload of `binary` (a kots-agent-<target> file). A runtime tree
 * `root-<target>/` beside the binary (written by agent/build for armv7l) is
 * part of it.
 */
export function targetPayload(target: TargetName, binary: string): TargetPayload {
  const files: PayloadFile[] = [{ path: PATHS.binary, source: binary, mode: 0o755, sha256: sha256File(binary) }];
  const tree = join(dirname(binary), `root-${target}`);
  if (existsSync(tree)) {
    for (const rel of walk(tree)) {
      const source = join(tree, rel);
      files.push({ path: rel, source, mode: statSync(source).mode & 0o777, sha256: sha256File(source) });
    }
  }
  const [first] = files;
  if (!first) throw new Error(`the ${target} payload has no files`);
  return { name: `${target}-${AGENT_VERSION}-${first.sha256.slice(0, 12)}`, target, files };
}

/** SHA256SUMS of the payload folder (paths relative to it). */
export function payloadSums(payload: TargetPayload): string {
  return payload.files.map((f) => `${f.sha256}  rootfs${f.path}\n`).join('');
}

/**
 * Writes the payload folder under `binariesDir` once: an existing folder whose
 * SHA256SUMS matches is kept (the name already pins the binary's content).
 */
export function writePayload(binariesDir: string, payload: TargetPayload): string {
  const dir = join(binariesDir, payload.name);
  const sums = payloadSums(payload);
  if (existsSync(join(dir, 'SHA256SUMS')) && readFileSync(join(dir, 'SHA256SUMS'), 'utf8') === sums) return dir;
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  try {
    for (const file of payload.files) {
      const destination = join(partial, 'rootfs', file.path);
      mkdirSync(dirname(destination), { recursive: true });
      copyFileSync(file.source, destination);
      chmodSync(destination, file.mode);
    }
    writeFileSync(join(partial, 'SHA256SUMS'), sums);
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

/** Payload files under `root` whose sha256 differs from the payload's (missing ones included). */
export function payloadMismatches(root: string, payload: TargetPayload): string[] {
  return payload.files
    .filter((f) => {
      const copy = join(root, f.path);
      return !existsSync(copy) || !lstatSync(copy).isFile() || sha256File(copy) !== f.sha256;
    })
    .map((f) => f.path);
}
