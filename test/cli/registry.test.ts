/**
 * `kots registry` manages the people who log in, like mosquitto_passwd: add prints a password
 * once and stores only its hash; list shows who is there; disable makes a running bridge
 * refuse the user at once (its connection closed, a new one refused); rekey replaces the
 * password. Real bridge, real Kafka behind it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KOTS_BIN, bareEnvironment } from '../helpers/processes.js';
import { closed, connectClient, registryOf, startTestBridge, type TestBridge } from '../bridge/helpers.js';
import { writeRegistryFile } from '../../bridge/registry/index.js';

function registry(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [KOTS_BIN, 'registry', ...args], { env: bareEnvironment(), timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input ?? '');
  });
}

let t: TestBridge | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('kots registry', () => {
  it('add prints a password once and stores only its hash; list shows users and devices, never a hash', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kots-registry-cli-')), 'registry.yaml');
    const added = await registry(['add', 'alice', '--role', 'operator', '--file', file]);
    expect(added.code, added.stderr).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(added.stdout)?.[1];
    expect(password).toMatch(/^[\w-]{32}$/);
    const stored = readFileSync(file, 'utf8');
    expect(stored).not.toContain(password);
    expect(stored).toMatch(/name: alice[\s\S]*hash: \$scrypt\$/);
    expect(await registry(['add', 'grafana', '--role', 'dashboard', '--file', file, '--password-stdin'], 'a-long-enough-password\n')).toMatchObject({
      code: 0,
    });
    const twice = await registry(['add', 'alice', '--file', file]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/alice is already in .*kots registry rekey alice/);

    const list = await registry(['list', '--file', file]);
    expect(list.stdout).toMatch(/^user +alice +operator +active$/m);
    expect(list.stdout).toMatch(/^user +grafana +dashboard +active$/m);
    expect(list.stdout).not.toMatch(/scrypt/);
  });

  it('after disable a running bridge refuses the user at once; enable and rekey let them back with the new password only', async () => {
    t = await startTestBridge({ registry: await registryOf([], []), overrides: { 'bridge.registryReloadSeconds': 60 } });
    const file = t.registryFile!;
    const added = await registry(['add', 'ops', '--role', 'operator', '--file', file]);
    const password = /password \(shown once\): (\S+)/.exec(added.stdout)![1]!;
    // The bridge watches the file: the new user gets in without a restart.
    const client = await waitForLogin(t.url, 'ops', password);

    const gone = closed(client, 5_000);
    const started = Date.now();
    expect((await registry(['disable', 'ops', '--file', file])).stdout).toMatch(/ops: disabled/);
    // At once: well before the 60 s registry poll, through the file watch.
    expect(await gone).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(connectClient(t.url, { clientId: 'ops-2', username: 'ops', password })).rejects.toMatchObject({ code: 5 });
    expect((await registry(['list', '--file', file])).stdout).toMatch(/^user +ops +operator +disabled$/m);

    await registry(['enable', 'ops', '--file', file]);
    const rekeyed = await registry(['rekey', 'ops', '--file', file]);
    const fresh = /\(shown once\): (\S+)/.exec(rekeyed.stdout)![1]!;
    (await waitForLogin(t.url, 'ops', fresh)).end(true);
    await expect(connectClient(t.url, { clientId: 'ops-3', username: 'ops', password })).rejects.toMatchObject({ code: 4 });
  });

  it('says what to do without a registry, and for an unknown name', async () => {
    const none = await registry(['list']);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('kots: no registry: give --file registry.yaml, or set bridge.registryFile (or bridge.registryVaultPath) in the config');
    const file = join(mkdtempSync(join(tmpdir(), 'kots-registry-cli-')), 'registry.yaml');
    await writeRegistryFile(file, await registryOf([]));
    const unknown = await registry(['disable', 'nobody', '--file', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no user or device nobody in .*kots registry list/);
  });
});

async function waitForLogin(url: string, username: string, password: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await connectClient(url, { clientId: `${username}-${Date.now()}`, username, password });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
