/**
 * The agent binary for a device's target: a prebuilt one from
 * fleet.agentBinaryDir, or built from agent/ by the agent's build API
 * (cached; rebuilt only when the agent's sources changed, see agent/build).
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { KotsError } from '../core/errors.js';
import type { TargetName } from './manifest.js';

export async function agentBinary(target: TargetName, agentBinaryDir: string | undefined): Promise<string> {
  if (agentBinaryDir) {
    const path = join(agentBinaryDir, `kots-agent-${target}`);
    if (!existsSync(path))
      throw new KotsError('CONFIG_INVALID', `fleet.agentBinaryDir: ${path} does not exist (build it with \`npm run build:agent ${target}\`)`);
    return path;
  }
  const { buildAgentBinaries } = await import('../agent/build/build.js');
  const [path] = await buildAgentBinaries([target]);
  if (!path) throw new Error(`building the ${target} agent binary gave no file`);
  return path;
}

/** ELF machine of a file (from its header), or undefined when it is not an ELF file. */
export function elfMachine(file: string): { machine: 'x86-64' | 'aarch64' | 'arm' | 'other'; bits: 32 | 64 } | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const bits = header[4] === 2 ? 64 : 32;
  const machine = header[5] === 1 ? header.readUInt16LE(18) : header.readUInt16BE(18);
  return { bits, machine: machine === 0x3e ? 'x86-64' : machine === 0xb7 ? 'aarch64' : machine === 0x28 ? 'arm' : 'other' };
}

export const TARGET_MACHINE: Record<TargetName, { machine: 'x86-64' | 'aarch64' | 'arm'; bits: 32 | 64 }> = {
  'linux-x64': { machine: 'x86-64', bits: 64 },
  'linux-arm64': { machine: 'aarch64', bits: 64 },
  'linux-armv7l': { machine: 'arm', bits: 32 },
};
