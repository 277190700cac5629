/**
 * `--sd` onto a folder laid out like a mounted Raspberry Pi OS card (bootfs/ +
 * rootfs/). The arm64 binary is checked by its ELF header, not run.
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { elfMachine } from '../../provisioning/binaries.js';
import { provisionFleet } from '../../provisioning/provision.js';
import { testEnvironment } from '../helpers/servers.js';
import { agentBinaries, fakeSdCard, fleetContext, readEnvFile, tempDir, writeManifest } from './helpers.js';

const AARCH64 = 0xb7;

describe('kots fleet provision --sd', () => {
  it('writes the device into the root partition, enables the units by symlink, and refuses a card of another CPU', { timeout: 120_000 }, async () => {
    const binaries = await agentBinaries(['linux-arm64']);
    const dir = tempDir('sd');
    const ctx = fleetContext(testEnvironment('unused-bucket'), { 'fleet.stateDir': join(dir, 'state'), 'fleet.agentBinaryDir': binaries });
    const manifest = writeManifest(dir, {
      version: 1,
      name: 'pis',
      broker: { url: 'mqtts://broker.example.org:8883' },
      defaults: { target: 'linux-arm64', source: 'sensors' },
      cities: [
        { name: 'Takamatsu', country: 'JP', lat: 34.34, lon: 134.05, devices: [{ id: 'takamatsu-roof' }, { id: 'takamatsu-old-pi', target: 'linux-armv7l' }] },
      ],
    });
    const card = fakeSdCard(AARCH64, 64);

    const report = await provisionFleet(ctx, manifest, { delivery: { kind: 'sd', path: card }, only: ['takamatsu-roof'] });
    expect(report.devices.find((d) => d.id === 'takamatsu-roof')).toMatchObject({
      credential: 'new',
      delivered: `SD card ${join(card, 'rootfs')}: installed, enabled at boot`,
    });

    const rootfs = join(card, 'rootfs');
    const binary = join(rootfs, 'usr/local/bin/kots-agent');
    expect(elfMachine(binary)).toEqual({ machine: 'aarch64', bits: 64 });
    expect(statSync(binary).mode & 0o777).toBe(0o755);
    expect(statSync(join(rootfs, 'etc/kots/agent.env')).mode & 0o777).toBe(0o600);
    const secret = readEnvFile(join(rootfs, 'etc/kots/agent.env')).KOTS_MQTT_PASSWORD!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(join(rootfs, 'etc/kots/agent.yaml'), 'utf8')).toMatch(
      /url: mqtts:\/\/broker.example.org:8883[\s\S]*deviceId: takamatsu-roof[\s\S]*source: sensors[\s\S]*spoolDir: \/var\/lib\/kots-agent\/spool/,
    );
    const wants = join(rootfs, 'etc/systemd/system/multi-user.target.wants');
    for (const unit of ['kots-agent.service', 'kots-agent-setup.service']) {
      expect(lstatSync(join(wants, unit)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(wants, unit))).toBe(`/etc/systemd/system/${unit}`);
      expect(existsSync(join(rootfs, 'etc/systemd/system', unit))).toBe(true);
    }
    expect(readFileSync(join(rootfs, 'etc/systemd/system/kots-agent-setup.service'), 'utf8')).toContain('ExecStart=/usr/local/lib/kots-agent/setup-user.sh');
    expect(statSync(join(rootfs, 'usr/local/lib/kots-agent/setup-user.sh')).mode & 0o111).not.toBe(0);
    // Root-owned on the card: unit files and the root-run setup script must not be the default user's (issue 17).
    for (const path of [
      'etc/systemd/system/kots-agent.service',
      'etc/systemd/system/kots-agent-setup.service',
      'usr/local/lib/kots-agent/setup-user.sh',
      'usr/local/lib/kots-agent',
      'etc/kots',
      'usr/local/bin/kots-agent',
    ]) {
      expect([lstatSync(join(rootfs, path)).uid, lstatSync(join(rootfs, path)).gid], path).toEqual([0, 0]);
    }
    // The boot partition names the device and holds no secret; cmdline.txt is untouched.
    expect(readFileSync(join(card, 'bootfs/kots-agent.txt'), 'utf8')).toContain('takamatsu-roof');
    expect(readFileSync(join(card, 'bootfs/kots-agent.txt'), 'utf8')).not.toContain(secret);
    expect(readFileSync(join(card, 'bootfs/cmdline.txt'), 'utf8')).not.toContain('kots');

    // The 32-bit device onto the 64-bit card: refused, with the reason, before anything is written.
    const wrong = await provisionFleet(ctx, manifest, { delivery: { kind: 'sd', path: fakeSdCard(AARCH64, 64) }, only: ['takamatsu-old-pi'] });
    expect(wrong.devices.find((d) => d.id === 'takamatsu-old-pi')!.error).toMatch(/aarch64 64-bit .* target linux-armv7l/);

    // A folder that is not a card is refused with what was expected.
    const notACard = await provisionFleet(ctx, manifest, { delivery: { kind: 'sd', path: dir }, only: ['takamatsu-roof'] });
    expect(notACard.devices.find((d) => d.id === 'takamatsu-roof')!.error).toMatch(/bootfs .*rootfs/);
  });
});
