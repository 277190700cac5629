/**
 * With the real OpenBao dev server (Vault's API): device credentials, the
 * operator credential, the OpenWeather API key and the registry live in Vault;
 * the central site's disk (state folder) holds none of them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import nodeVault from 'node-vault';
import { describe, expect, it } from 'vitest';
import { parseRegistryYaml, verifyCredential } from '../../bridge/registry/index.js';
import { provisionFleet, revokeDevice } from '../../provisioning/provision.js';
import { testEnvironment, uniqueName } from '../helpers/servers.js';
import { agentBinaries, fakeSdCard, filesContaining, fleetContext, readEnvFile, tempDir, writeManifest } from './helpers.js';

const AARCH64 = 0xb7;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: source scripts/servers/env.sh`);
  return value;
}

describe('kots fleet with Vault (OpenBao dev server)', () => {
  it('keeps credentials, the API key and the registry in Vault and none of them on disk', { timeout: 120_000 }, async () => {
    const binaries = await agentBinaries(['linux-arm64']);
    const address = required('KOTS_TEST_VAULT_ADDR');
    const token = required('KOTS_TEST_VAULT_TOKEN');
    const prefix = uniqueName('kots-fleet-test');
    const dir = tempDir('vault');
    const stateDir = join(dir, 'state');
    const apiKey = `ow-${uniqueName('key')}`;
    const overrides = {
      'fleet.stateDir': stateDir,
      'fleet.agentBinaryDir': binaries,
      'vault.address': address,
      'vault.token': token,
      'vault.pathPrefix': prefix,
      'bridge.registryVaultPath': `${prefix}/registry`,
    };
    const manifest = writeManifest(dir, {
      version: 1,
      name: 'vaulted',
      broker: { url: 'mqtts://broker.example.org:8883' },
      defaults: { target: 'linux-arm64' },
      cities: [
        { name: 'Reykjavik', openweather: 'Reykjavik,IS', devices: [{ id: 'reykjavik-ow', source: 'openweather' }] },
        { name: 'Cairo', country: 'EG', lat: 30.04, lon: 31.24, devices: [{ id: 'cairo-sim' }] },
      ],
    });

    // The key is given once (as KOTS_AGENT_OPENWEATHER_API_KEY would) and stored in Vault.
    const first = fleetContext(testEnvironment('unused-bucket'), { ...overrides, 'agent.openweatherApiKey': apiKey });
    const card1 = fakeSdCard(AARCH64, 64);
    const report = await provisionFleet(first, manifest, { delivery: { kind: 'sd', path: card1 }, only: ['reykjavik-ow'] });
    expect(report.devices.map((d) => [d.id, d.credential, d.error])).toEqual([
      ['reykjavik-ow', 'new', undefined],
      ['cairo-sim', 'new', undefined],
    ]);
    expect(report.secrets).toContain(address);
    expect(report.registry).toBe(`vault:secret/data/${prefix}/registry`);

    const vault = nodeVault({ apiVersion: 'v1', endpoint: address, token });
    const read = async (path: string) => ((await vault.read(`secret/data/${path}`)) as { data: { data: Record<string, string> } }).data.data;
    const registry = parseRegistryYaml((await read(`${prefix}/registry`)).registry!, 'vault');
    const secrets: string[] = [apiKey];
    for (const id of ['reykjavik-ow', 'cairo-sim']) {
      const credential = (await read(`${prefix}/fleet/devices/${id}`)).credential!;
      expect(await verifyCredential(credential, registry.device(id)!.hash)).toBe(true);
      secrets.push(credential);
    }
    const operator = (await read(`${prefix}/fleet/operator`)).credential!;
    expect(await verifyCredential(operator, registry.user('kots-fleet')!.hash)).toBe(true);
    secrets.push(operator);
    expect((await read(`${prefix}/agent`)).openweatherApiKey).toBe(apiKey);

    // The device got its credential and the key; the central site's disk has none of the secrets.
    const deviceEnv = readEnvFile(join(card1, 'rootfs/etc/kots/agent.env'));
    expect(deviceEnv).toEqual({ KOTS_MQTT_PASSWORD: secrets[1], KOTS_AGENT_OPENWEATHER_API_KEY: apiKey });
    expect(existsSync(join(stateDir, 'secrets.json'))).toBe(false);
    for (const secret of secrets) expect(filesContaining(stateDir, secret)).toEqual([]);

    // A later run without the key reads it (and the credentials) back from Vault: nothing changes, the card gets the same.
    const later = fleetContext(testEnvironment('unused-bucket'), overrides);
    const card2 = fakeSdCard(AARCH64, 64);
    const again = await provisionFleet(later, manifest, { delivery: { kind: 'sd', path: card2 }, only: ['reykjavik-ow'] });
    expect(again.devices.map((d) => d.credential)).toEqual(['kept', 'kept']);
    expect(readEnvFile(join(card2, 'rootfs/etc/kots/agent.env'))).toEqual(deviceEnv);
    for (const secret of secrets) expect(filesContaining(stateDir, secret)).toEqual([]);

    // Revoking deletes the device's secret from Vault (every version) and marks the registry entry.
    await revokeDevice(later, 'cairo-sim');
    await expect(vault.read(`secret/data/${prefix}/fleet/devices/cairo-sim`)).rejects.toMatchObject({ response: { statusCode: 404 } });
    expect(parseRegistryYaml((await read(`${prefix}/registry`)).registry!, 'vault').device('cairo-sim')!.revoked).toBe(true);
  });
});
