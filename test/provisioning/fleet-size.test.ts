/**
 * A fleet of 50 devices with `--out`: one binary per target (with its
 * sha256), and per-device bundles holding only the device's own files, under
 * 1 MB per device in total. Bundle entries are root-owned in the tar headers
 * (issue 17: unit files and the root-run setup script owned by the person who
 * provisioned would let a device's default user become root). install.sh
 * checks the binary's sha256 on the device and refuses a damaged copy.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGETS } from '../../agent/build/targets.js';
import { elfMachine } from '../../provisioning/binaries.js';
import { provisionFleet } from '../../provisioning/provision.js';
import { sha256File } from '../../provisioning/payload.js';
import { testEnvironment } from '../helpers/servers.js';
import { agentBinaries, fleetContext, installBundle, tempDir, writeManifest } from './helpers.js';

const DEVICES = 50;

describe('kots fleet provision of a 50-device fleet', () => {
  it('writes one binary per target and bundles under 1 MB per device, root-owned, checked by sha256 on install', { timeout: 600_000 }, async () => {
    const targets = TARGETS.map((t) => t.name);
    const binaries = await agentBinaries(targets);
    const dir = tempDir('fifty');
    const out = join(dir, 'out');
    const ctx = fleetContext(testEnvironment('unused-bucket'), { 'fleet.stateDir': join(dir, 'state'), 'fleet.agentBinaryDir': binaries });
    const cities = ['Takamatsu', 'Kochi', 'Reykjavik', 'Cairo', 'Singapore'];
    const manifest = writeManifest(dir, {
      version: 1,
      name: 'fifty',
      broker: { url: 'mqtts://broker.example.org:8883' },
      cities: cities.map((name, c) => ({
        name,
        lat: 10 + c,
        lon: 20 + c,
        // Every target in every city: 10 devices each, 50 in all.
        devices: targets.map((target, t) => ({ target, count: t === 0 ? DEVICES / cities.length - (targets.length - 1) : 1 })),
      })),
    });

    const report = await provisionFleet(ctx, manifest, { delivery: { kind: 'out', dir: out } });
    expect(report.devices).toHaveLength(DEVICES);
    expect(report.devices.filter((d) => d.error)).toEqual([]);

    // One payload folder per target, holding the binary as built and its sha256.
    const payloads = readdirSync(join(out, 'binaries')).sort();
    expect(payloads.map((p) => p.replace(/-\d+\.\d+\.\d+-[0-9a-f]{12}$/, ''))).toEqual([...targets].sort());
    for (const target of targets) {
      const payload = join(out, 'binaries', payloads.find((p) => p.startsWith(`${target}-`))!);
      const binary = join(payload, 'rootfs/usr/local/bin/kots-agent');
      expect(sha256File(binary)).toBe(sha256File(join(binaries, `kots-agent-${target}`)));
      expect(readFileSync(join(payload, 'SHA256SUMS'), 'utf8')).toContain(`${sha256File(binary)}  rootfs/usr/local/bin/kots-agent\n`);
    }
    expect(elfMachine(join(out, 'binaries', payloads.find((p) => p.startsWith('linux-armv7l-'))!, 'rootfs/usr/local/bin/kots-agent'))).toEqual({
      machine: 'arm',
      bits: 32,
    });

    // Per-device bundles: only the device's files.
    const bundles = readdirSync(out).filter((n) => n.endsWith('.tar.gz'));
    expect(bundles).toHaveLength(DEVICES);
    const total = bundles.reduce((sum, name) => sum + statSync(join(out, name)).size, 0);
    expect(total / DEVICES).toBeLessThan(1_000_000);
    const payloadBytes = payloads.reduce((sum, p) => sum + statSync(join(out, 'binaries', p, 'rootfs/usr/local/bin/kots-agent')).size, 0);
    expect(total).toBeLessThan(payloadBytes / 100);

    // Root-owned entries in the tar headers, unit files and the setup script included.
    const listing = execFileSync('tar', ['--numeric-owner', '-tvzf', join(out, 'kots-agent-kochi-1.tar.gz')], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(listing.length).toBeGreaterThan(8);
    for (const line of listing) expect(line.split(/\s+/)[1], line).toBe('0/0');
    for (const member of [
      'etc/systemd/system/kots-agent.service',
      'etc/systemd/system/kots-agent-setup.service',
      'usr/local/lib/kots-agent/setup-user.sh',
      'install.sh',
    ]) {
      expect(listing.some((line) => line.endsWith(member))).toBe(true);
    }

    // install.sh checks the copy of the binary on the device: a good one installs, a damaged one is refused.
    const device = installBundle(out, 'kochi-1');
    expect(sha256File(join(device, 'rootfs/usr/local/bin/kots-agent'))).toBe(sha256File(join(binaries, `kots-agent-${targets[0]}`)));
    const damaged = join(dir, 'damaged');
    const x64 = payloads.find((p) => p.startsWith('linux-x64-'))!;
    cpSync(join(out, 'binaries', x64), join(damaged, 'binaries', x64), { recursive: true });
    cpSync(join(out, 'kots-agent-kochi-1.tar.gz'), join(damaged, 'kots-agent-kochi-1.tar.gz'));
    appendFileSync(join(damaged, 'binaries', x64, 'rootfs/usr/local/bin/kots-agent'), 'x');
    expect(() => installBundle(damaged, 'kochi-1')).toThrow(/does not match the sha256 sums/);
  });
});
