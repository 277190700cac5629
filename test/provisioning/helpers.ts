/** Shared by the provisioning tests: a fleet context on the test servers, manifests, bundles. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';
import { DIST, buildAgentBinaries } from '../../agent/build/build.js';
import { silentLogger } from '../../core/log.js';
import type { FleetContext } from '../../provisioning/provision.js';
import { testConfig } from '../helpers/servers.js';

const tempDirs: string[] = [];
// A fleet folder holds the agent binaries of every target (~470 MB for 50 devices): removed once the file's tests are done.
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kots-fleet-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** The agent binaries of these targets, built when missing or stale (cached by content; one build at a time across test files). */
export async function agentBinaries(targets: string[]): Promise<string> {
  await buildAgentBinaries(targets);
  return DIST;
}

export function fleetContext(env: Record<string, string>, overrides: Record<string, unknown>): FleetContext {
  return { config: testConfig(env, overrides), logger: silentLogger };
}

export function writeManifest(dir: string, manifest: unknown): string {
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, stringify(manifest));
  return file;
}

/** Extracts a bundle (or some members of it) into a fresh folder; returns the bundle's top folder there. */
export function extractBundle(archive: string, deviceId: string, members: string[] = []): string {
  const into = tempDir('extract');
  execFileSync('tar', ['xzf', archive, '-C', into, ...members.map((m) => `kots-agent-${deviceId}/${m}`)]);
  return join(into, `kots-agent-${deviceId}`);
}

/**
 * Installs a device's bundle the way a person does on the device: extracted
 * beside the output's binaries/ folder, `ROOT=<dir> sh install.sh` (which
 * checks the binary's sha256 first). Returns a folder whose rootfs/ is the
 * installed root.
 */
export function installBundle(out: string, deviceId: string): string {
  const device = tempDir('device');
  execFileSync('tar', ['xzf', join(out, `kots-agent-${deviceId}.tar.gz`), '-C', out]);
  execFileSync('sh', [join(out, `kots-agent-${deviceId}`, 'install.sh')], {
    env: { ...process.env, ROOT: join(device, 'rootfs') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return device;
}

/** KEY=value lines of a systemd EnvironmentFile as written by provisioning. */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)="(.*)"$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/\\(.)/g, '$1');
  }
  return out;
}

/** Every regular file under `dir` whose bytes contain `needle` (grep -r, also inside .tar.gz bundles). */
export function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const info = statSync(path, { throwIfNoEntry: false });
      if (!info) continue;
      if (info.isDirectory()) walk(path);
      else if (info.isFile()) {
        const bytes = readFileSync(path);
        const text = path.endsWith('.tar.gz') ? execFileSync('sh', ['-c', 'gzip -dc "$0" | strings', path], { maxBuffer: 1 << 30 }) : bytes;
        if (text.includes(needle)) found.push(path);
      }
    }
  };
  walk(dir);
  return found;
}

export function fakeElf(machine: number, bits: 32 | 64): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = bits === 64 ? 2 : 1;
  header[5] = 1;
  header.writeUInt16LE(machine, 18);
  return header;
}

/** A folder laid out like a mounted Raspberry Pi OS card: bootfs/ (FAT) and rootfs/ (ext4), userland of the given CPU. */
export function fakeSdCard(machine: number, bits: 32 | 64): string {
  const card = tempDir('sd');
  mkdirSync(join(card, 'bootfs'));
  writeFileSync(join(card, 'bootfs', 'config.txt'), '[all]\ndtparam=audio=on\n');
  writeFileSync(join(card, 'bootfs', 'cmdline.txt'), 'console=serial0,115200 console=tty1 root=PARTUUID=abcd-02 rootfstype=ext4 fsck.repair=yes rootwait\n');
  for (const d of ['etc/systemd/system/multi-user.target.wants', 'usr/bin', 'usr/local/bin', 'var/lib', 'home/pi'])
    mkdirSync(join(card, 'rootfs', d), { recursive: true });
  writeFileSync(join(card, 'rootfs', 'etc', 'os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
  writeFileSync(join(card, 'rootfs', 'usr', 'bin', 'env'), fakeElf(machine, bits), { mode: 0o755 });
  return card;
}
