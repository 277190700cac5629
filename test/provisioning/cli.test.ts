/** `kots fleet` as a user runs it: exit codes, messages, and no secret in anything it prints or logs. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KOTS_BIN } from '../helpers/processes.js';
import { agentBinaries, fakeSdCard, tempDir, writeManifest } from './helpers.js';

function kots(args: string[], env: Record<string, string>, asUser?: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // asUser: run as that (unprivileged) uid through util-linux's setpriv, as a person without sudo would.
    const [program, argv] =
      asUser === undefined
        ? [process.execPath, [KOTS_BIN, ...args]]
        : ['setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', process.execPath, KOTS_BIN, ...args]];
    const child = spawn(program, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('kots fleet (CLI)', () => {
  it('provisions without printing or logging a secret, and refuses bad input with the line or the flag', { timeout: 90_000 }, async () => {
    const dir = tempDir('cli');
    const env = {
      KOTS_FLEET_STATE_DIR: join(dir, 'state'),
      KOTS_FLEET_AGENT_BINARY_DIR: await agentBinaries(['linux-arm64']),
      KOTS_LOG_LEVEL: 'trace',
      KOTS_AGENT_OPENWEATHER_API_KEY: 'ow-cli-test-key-0123456789',
    };
    const manifest = writeManifest(dir, {
      version: 1,
      name: 'cli',
      broker: { url: 'mqtt://127.0.0.1:1883' },
      cities: [{ name: 'Kochi', country: 'JP', lat: 33.56, lon: 133.53, devices: [{ id: 'kochi-1', source: 'openweather' }, { id: 'kochi-2' }] }],
    });

    const run = await kots(['fleet', 'provision', manifest, '--sd', fakeSdCard(0xb7, 64), '--device', 'kochi-1'], env);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/kochi-1 +kochi +linux-arm64 +new +SD card/);
    const secrets = JSON.parse(readFileSync(join(dir, 'state', 'secrets.json'), 'utf8')) as {
      devices: Record<string, string>;
      operator: string;
      openweatherApiKey: string;
    };
    expect(secrets.openweatherApiKey).toBe(env.KOTS_AGENT_OPENWEATHER_API_KEY);
    for (const secret of [...Object.values(secrets.devices), secrets.operator]) {
      expect(secret).toHaveLength(32);
      expect(run.output).not.toContain(secret);
    }
    const status = await kots(['fleet', 'rotate', 'kochi-2'], env);
    expect(status.code, status.output).toBe(0);
    const rotated = (JSON.parse(readFileSync(join(dir, 'state', 'secrets.json'), 'utf8')) as typeof secrets).devices['kochi-2']!;
    expect(rotated).not.toBe(secrets.devices['kochi-2']);
    expect(status.output).not.toContain(rotated);

    writeManifest(dir, {
      version: 1,
      broker: { url: 'mqtt://127.0.0.1:1883' },
      cities: [{ name: 'Kochi', lat: 33.5, lon: 133.5, devices: [{ target: 'linux-x86' }] }],
    });
    const bad = await kots(['fleet', 'provision', manifest], env);
    expect(bad.code).toBe(2); // a bad manifest is a user error: one message, exit 2
    expect(bad.output).toContain(`${manifest}:9: cities[0].devices[0].target: Invalid option`);

    const both = await kots(['fleet', 'provision', manifest, '--out', dir, '--sd', dir], env);
    expect(both.code).toBe(2);
    expect(both.output).toContain('choose one delivery: --out, --ssh or --sd');
  });

  it('refuses --sd without root in one line (exit 2), before reading or writing anything', { timeout: 60_000 }, async () => {
    const dir = tempDir('cli-sd');
    const card = fakeSdCard(0xb7, 64);
    const manifest = writeManifest(dir, {
      version: 1,
      name: 'sd',
      broker: { url: 'mqtt://127.0.0.1:1883' },
      cities: [{ name: 'Kochi', lat: 33.56, lon: 133.53, devices: [{ id: 'kochi-1' }] }],
    });
    const nobody = 65534;
    const run = await kots(
      ['fleet', 'provision', manifest, '--sd', card, '--device', 'kochi-1'],
      { KOTS_FLEET_STATE_DIR: join(dir, 'state'), HOME: '/tmp' },
      nobody,
    );
    expect(run.code, run.output).toBe(2);
    expect(run.output.trim().split('\n')).toEqual([
      `kots: --sd ${card} writes root-owned files onto the card's root partition: run it as root (sudo kots fleet provision ... --sd ${card})`,
    ]);
    expect(existsSync(join(dir, 'state'))).toBe(false);
    expect(existsSync(join(card, 'rootfs/etc/kots'))).toBe(false);
  });
});
