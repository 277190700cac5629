/** The registry API fleet provisioning uses (hash, verify, write, load) and its two sources, a file and Vault KV v2 (OpenBao). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  generateCredential,
  hashCredential,
  hashDeviceCredential,
  isCredentialHash,
  loadRegistry,
  parseRegistry,
  upsertDevice,
  verifyCredential,
  VaultRegistrySource,
  writeRegistryFile,
  writeRegistryToVault,
  type VaultRegistrySettings,
} from '../../bridge/registry/index.js';
import { deviceTopic } from '../../core/topics.js';
import { uniqueName } from '../helpers/servers.js';
import { closed, connectClient, publish, registryOf, startTestBridge, type TestBridge } from './helpers.js';
import { makeReading } from '../helpers/readings.js';

const dir = () => mkdtempSync(join(tmpdir(), 'kots-registry-test-'));

function vaultSettings(): VaultRegistrySettings {
  const address = process.env.KOTS_TEST_VAULT_ADDR;
  const token = process.env.KOTS_TEST_VAULT_TOKEN;
  if (!address || !token)
    throw new Error(
      'KOTS_TEST_VAULT_ADDR / KOTS_TEST_VAULT_TOKEN are not set: start OpenBao with scripts/servers/start.sh openbao and source scripts/servers/env.sh',
    );
  return { address, token, mount: 'secret', path: uniqueName('kots-registry') };
}

describe('credentials', () => {
  it('hashes with scrypt and a fresh salt (PHC-like string) and verifies only the right secret', async () => {
    const a = await hashCredential('correct horse battery');
    const b = await hashCredential('correct horse battery');
    expect(a).toMatch(/^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyCredential('correct horse battery', a)).toBe(true);
    expect(await verifyCredential('correct horse batterY', a)).toBe(false);
    expect(await verifyCredential('correct horse battery', 'plain-text-password')).toBe(false);
    expect(await verifyCredential('correct horse battery', a.replace('ln=14', 'ln=40'))).toBe(false);
    await expect(hashCredential('short')).rejects.toThrow(/at least 8/);
  });

  it("device secrets get the fast keyed hash (µs, not scrypt's ms); passwords cannot; old scrypt entries still verify", async () => {
    const secret = generateCredential();
    const fast = hashDeviceCredential(secret);
    expect(fast).toMatch(/^\$hmac-sha256\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(hashDeviceCredential(secret)).not.toBe(fast); // salted
    expect(isCredentialHash(fast)).toBe(true);
    expect(await verifyCredential(secret, fast)).toBe(true);
    // one character changed (a secret that already ends in x gets a y: 1 in 64 made this test fail)
    expect(await verifyCredential(`${secret.slice(0, -1)}${secret.endsWith('x') ? 'y' : 'x'}`, fast)).toBe(false);
    expect(() => hashDeviceCredential('correct horse battery')).toThrow(/machine-made/);
    const old = await hashCredential(secret, { ln: 10, r: 8, p: 1 });
    expect(await verifyCredential(secret, old)).toBe(true);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) await verifyCredential(secret, fast);
    expect((performance.now() - started) / 1000).toBeLessThan(1); // ms per check, on a loaded machine
  });
});

describe('registry file', () => {
  it('round-trips through writeRegistryFile and loadRegistry', async () => {
    const file = join(dir(), 'registry.yaml');
    const data = await registryOf([{ id: 'pi-1', city: 'takamatsu', secret: 'pi-1-secret' }], [{ name: 'grafana', role: 'dashboard', secret: 'dash-secret' }]);
    await writeRegistryFile(
      file,
      upsertDevice(data, { id: 'pi-2', city: 'cairo', hash: await hashCredential('pi-2-secret', { ln: 10, r: 8, p: 1 }), revoked: true }),
    );
    const registry = await loadRegistry(file);
    expect(registry.size).toEqual({ devices: 2, users: 1, revoked: 1 });
    expect(registry.device('pi-1')?.city).toBe('takamatsu');
    expect(await verifyCredential('pi-2-secret', registry.device('pi-2')!.hash)).toBe(true);
    expect(registry.user('grafana')?.role).toBe('dashboard');
  });

  it('names the bad field of an invalid registry, and refuses clear-text passwords, duplicates and users named like devices', async () => {
    const file = join(dir(), 'bad.yaml');
    writeFileSync(file, 'devices:\n  - id: Pi 1\n    city: takamatsu\n    hash: hunter2\n');
    await expect(loadRegistry(file)).rejects.toThrow(/devices\.0\.id: must be lower-case[\s\S]*devices\.0\.hash: must be a credential hash/);
    const hash = await hashCredential('some-secret', { ln: 10, r: 8, p: 1 });
    expect(() =>
      parseRegistry(
        {
          devices: [
            { id: 'a', city: 'x', hash },
            { id: 'a', city: 'y', hash },
          ],
        },
        'test',
      ),
    ).toThrow(/"a" is listed twice/);
    expect(() => parseRegistry({ devices: [{ id: 'a', city: 'x', hash }], users: [{ name: 'a', role: 'dashboard', hash }] }, 'test')).toThrow(
      /also a device id/,
    );
    await expect(loadRegistry(join(dir(), 'missing.yaml'))).rejects.toThrow(/bridge.registryFile: cannot read/);
  });

  it('a bridge keeps the last good registry when the file is broken on reload', async () => {
    const t = await startTestBridge({ registry: await registryOf([{ id: 'pi-1', city: 'takamatsu', secret: 'pi-1-secret' }]) });
    try {
      writeFileSync(t.registryFile!, 'devices: [ {id: broken');
      await new Promise((r) => setTimeout(r, 800));
      expect(t.bridge.metrics.registryReloadFailures).toBeGreaterThanOrEqual(1);
      const client = await connectClient(t.url, { clientId: 'pi-1', username: 'pi-1', password: 'pi-1-secret' });
      client.end(true);
    } finally {
      await t.close();
    }
  });
});

describe('registry in Vault KV v2 (OpenBao)', () => {
  let t: TestBridge | undefined;
  afterAll(async () => t?.close());

  it("loads devices from Vault, and closes a device's connection when Vault revokes it", async () => {
    const settings = vaultSettings();
    const data = await registryOf([
      { id: 'vault-dev', city: 'reykjavik', secret: 'vault-dev-secret' },
      { id: 'other-dev', city: 'reykjavik', secret: 'other-dev-secret' },
    ]);
    await writeRegistryToVault(settings, data);
    const source = new VaultRegistrySource(settings, 200);
    expect((await source.load()).size.devices).toBe(2);
    source.close();

    t = await startTestBridge({ registrySource: new VaultRegistrySource(settings, 200) });
    const device = await connectClient(t.url, { clientId: 'vault-dev', username: 'vault-dev', password: 'vault-dev-secret', protocolVersion: 5 });
    await publish(
      device,
      deviceTopic('reykjavik', 'vault-dev', 'weather'),
      JSON.stringify(makeReading({ device_id: 'vault-dev', city: { slug: 'reykjavik', name: 'Reykjavik' } })),
    );
    await expect(connectClient(t.url, { clientId: 'vault-dev', username: 'vault-dev', password: 'wrong-secret' })).rejects.toMatchObject({ code: 4 });
    const gone = closed(device, 10_000);
    await writeRegistryToVault(settings, upsertDevice(data, { ...data.devices!.find((d) => d.id === 'vault-dev')!, revoked: true }));
    expect(await gone).toBe(true);
    await expect(connectClient(t.url, { clientId: 'vault-dev', username: 'vault-dev', password: 'vault-dev-secret' })).rejects.toMatchObject({ code: 5 });
    const other = await connectClient(t.url, { clientId: 'other-dev', username: 'other-dev', password: 'other-dev-secret' });
    other.end(true);
  });
});
