/**
 * `kots up` on real Kafka and the S3 server with every secret in Vault: the S3
 * keys are only in OpenBao, the process gets nothing but the Vault address and
 * token, and readings still reach the lake. Then Vault goes away and the running
 * pipeline keeps writing (secrets were read once, at start).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLakeDatabase } from '../../../lakehouse/database.js';
import { spawnKots, waitFor, type KotsProcess } from '../../helpers/processes.js';
import { createBucket, servers, testConfig, testEnvironment, uniqueName } from '../../helpers/servers.js';
import { putSecrets, rootClient, startPrivateVault, type PrivateVault } from './vault-helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function readingsInLake(env: Record<string, string>): Promise<number> {
  const db = await openLakeDatabase(testConfig(env));
  try {
    const reader = await db.connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM readings');
    return Number(reader.getRowObjects()[0]!.n);
  } finally {
    db.close();
  }
}

describe('pipeline with secrets from Vault', () => {
  it('kots up writes to the lake with the S3 keys only in Vault, and keeps writing after Vault goes away', async () => {
    const vault: PrivateVault = await startPrivateVault();
    cleanups.push(() => vault.stop());
    const prefix = uniqueName('kots-up');
    await putSecrets(rootClient(vault.address, vault.token), {
      [`${prefix}/lake`]: { accessKeyId: servers.s3AccessKey, secretAccessKey: servers.s3SecretKey },
    });

    const bucket = await createBucket();
    const withKeys = testEnvironment(bucket);
    // Everything but the S3 keys, which the environment must not carry (empty = unset for kots and the AWS SDK).
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...noKeys } = withKeys;
    expect(Object.values(noKeys)).not.toContain(servers.s3SecretKey);
    const kots: KotsProcess = spawnKots(['up'], {
      ...noKeys,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      AWS_EC2_METADATA_DISABLED: 'true',
      KOTS_LAKE_ACCESS_KEY_ID: '',
      KOTS_LAKE_SECRET_ACCESS_KEY: '',
      KOTS_CONFIG: '',
      VAULT_ADDR: vault.address,
      VAULT_TOKEN: vault.token,
      KOTS_VAULT_PATH_PREFIX: prefix,
      KOTS_BRIDGE_PORT: '0',
      KOTS_UP_STATE_DIR: mkdtempSync(join(tmpdir(), 'kots-up-vault-')),
      KOTS_UP_CITIES: JSON.stringify([
        { name: 'Takamatsu', country: 'JP', lat: 34.34, lon: 134.05 },
        { name: 'Reykjavik', country: 'IS', lat: 64.15, lon: -21.94 },
      ]),
      KOTS_UP_INTERVAL_MIN_SECONDS: '0.2',
      KOTS_UP_INTERVAL_MAX_SECONDS: '0.5',
      KOTS_CONSUMER_BATCH_MAX_AGE_MS: '400',
      KOTS_LOG_LEVEL: 'info',
    });
    cleanups.push(() => kots.kill('SIGKILL'));

    const first = await waitFor('readings in the lake', async () => (await readingsInLake(withKeys)) || undefined, 60_000, 500);
    expect(first).toBeGreaterThan(0);
    expect(kots.output()).toMatch(/read 2 setting\(s\) from Vault/);

    await vault.stop();
    const more = await waitFor(
      'readings written after Vault stopped',
      async () => {
        const n = await readingsInLake(withKeys);
        return n > first + 5 ? n : undefined;
      },
      30_000,
      500,
    );
    expect(more).toBeGreaterThan(first);
    expect(kots.child.exitCode).toBeNull();
  });
});
