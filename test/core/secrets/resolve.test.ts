import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, KotsError } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log.js';
import { loadConfigWithSecrets, resolveConfigWithSecrets } from '../../../core/secrets/index.js';
import { uniqueName } from '../../helpers/servers.js';
import { createAppRole, putSecrets, rootClient, sharedVault, type AppRole } from './vault-helpers.js';

const prefix = uniqueName('kots-secrets').replace(/[^a-z0-9-]/g, '-');
const vaultEnv = () => ({ KOTS_VAULT_ADDRESS: sharedVault.address, KOTS_VAULT_TOKEN: sharedVault.token, KOTS_VAULT_PATH_PREFIX: prefix });

function tempYaml(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kots-secrets-')), 'kots.yaml');
  writeFileSync(file, text);
  return file;
}

async function failure(action: () => Promise<unknown>): Promise<KotsError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof KotsError) return error;
    throw error;
  }
  throw new Error('expected a KotsError');
}

let approle: AppRole;

beforeAll(async () => {
  const client = rootClient();
  await putSecrets(client, {
    [`${prefix}/lake`]: { accessKeyId: 'vault-key-id', secretAccessKey: 'vault-secret-key', bucket: 'vault-bucket', region: 'eu-west-3' },
    [`${prefix}/kafka`]: { brokers: 'k1.vault:9092,k2.vault:9092', saslPassword: 'vault-sasl', partitions: '6' },
    [`${prefix}/bridge`]: { registryFile: 'devices:\n  dev-1: {hash: x}\n' },
    [`${prefix}/shared/openweather`]: { apiKey: 'ow-from-reference' },
  });
  approle = await createAppRole(client, prefix, prefix);
});

afterAll(async () => {
  await approle?.remove();
});

describe('secrets from Vault (real OpenBao dev server)', () => {
  it('takes each setting by precedence: flags > environment > Vault > file', async () => {
    const file = tempYaml('lake:\n  accessKeyId: file-key-id\n  region: us-east-2\n  prefix: from-file\nkafka:\n  clientId: file-client\n');
    const { config, fromVault } = await resolveConfigWithSecrets({
      file,
      env: { ...vaultEnv(), KOTS_KAFKA_SASL_PASSWORD: 'env-sasl' },
      overrides: { 'lake.bucket': 'flag-bucket' },
      logger: silentLogger,
    });
    expect(config.lake).toMatchObject({
      kind: 's3',
      bucket: 'flag-bucket',
      accessKeyId: 'vault-key-id',
      secretAccessKey: 'vault-secret-key',
      region: 'eu-west-3',
      prefix: 'from-file',
    });
    expect(config.kafka).toMatchObject({ brokers: ['k1.vault:9092', 'k2.vault:9092'], partitions: 6, saslPassword: 'env-sasl', clientId: 'file-client' });
    expect(fromVault).toContainEqual({ setting: 'lake.secretAccessKey', from: `secret/data/${prefix}/lake#secretAccessKey`, how: 'default path' });
    expect(fromVault.map((s) => s.setting)).not.toContain('kafka.saslPassword');
  });

  it('resolves vault:<path>#<key> references from the file and from the environment', async () => {
    const file = tempYaml(`agent:\n  openweatherApiKey: "vault:${prefix}/shared/openweather#apiKey"\n`);
    const config = await loadConfigWithSecrets({
      file,
      env: {
        ...vaultEnv(),
        KOTS_VAULT_DEFAULT_PATHS: 'false',
        KOTS_KAFKA_BROKERS: `vault:${prefix}/kafka#brokers`,
        KOTS_MQTT_PASSWORD: `vault:${prefix}/lake#secretAccessKey`,
      },
      logger: silentLogger,
    });
    expect(config.agent.openweatherApiKey).toBe('ow-from-reference');
    expect(config.kafka.brokers).toEqual(['k1.vault:9092', 'k2.vault:9092']);
    expect(config.mqtt.password).toBe('vault-secret-key');
    expect(config.lake.accessKeyId).toBeUndefined(); // default paths off
  });

  it('logs in with AppRole (role id + secret id) and reads with its policy only', async () => {
    const config = await loadConfigWithSecrets({
      env: {
        KOTS_VAULT_ADDRESS: sharedVault.address,
        KOTS_VAULT_ROLE_ID: approle.roleId,
        KOTS_VAULT_SECRET_ID: approle.secretId,
        KOTS_VAULT_APP_ROLE_MOUNT: approle.mount,
        KOTS_VAULT_PATH_PREFIX: prefix,
      },
      logger: silentLogger,
    });
    expect(config.lake).toMatchObject({ kind: 's3', bucket: 'vault-bucket', accessKeyId: 'vault-key-id', secretAccessKey: 'vault-secret-key' });

    const outside = await failure(() =>
      loadConfigWithSecrets({
        env: {
          KOTS_VAULT_ADDRESS: sharedVault.address,
          KOTS_VAULT_ROLE_ID: approle.roleId,
          KOTS_VAULT_SECRET_ID: approle.secretId,
          KOTS_VAULT_APP_ROLE_MOUNT: approle.mount,
          KOTS_VAULT_PATH_PREFIX: 'not-granted',
        },
        logger: silentLogger,
      }),
    );
    expect(outside.code).toBe('NOT_AUTHORIZED');
    expect(outside.message).toContain('secret/data/not-granted/');
  });

  it('refuses a wrong AppRole secret id at start, naming the role', async () => {
    const error = await failure(() =>
      loadConfigWithSecrets({
        env: { VAULT_ADDR: sharedVault.address, KOTS_VAULT_ROLE_ID: approle.roleId, KOTS_VAULT_SECRET_ID: 'wrong', KOTS_VAULT_APP_ROLE_MOUNT: approle.mount },
        logger: silentLogger,
      }),
    );
    expect(error.code).toBe('AUTH_FAILED');
    expect(error.message).toContain(`role id ${approle.roleId}`);
  });

  it('fails at start when a referenced secret is missing, naming the path and the key', async () => {
    const error = await failure(() =>
      loadConfigWithSecrets({
        env: {
          ...vaultEnv(),
          KOTS_LAKE_SECRET_ACCESS_KEY: `vault:${prefix}/nowhere#secretAccessKey`,
          KOTS_KAFKA_SASL_PASSWORD: `vault:${prefix}/kafka#noSuchKey`,
        },
        logger: silentLogger,
      }),
    );
    expect(error.code).toBe('SECRET_MISSING');
    expect(error.message).toContain(
      `lake.secretAccessKey: there is no secret at secret/data/${prefix}/nowhere (reference vault:${prefix}/nowhere#secretAccessKey from KOTS_LAKE_SECRET_ACCESS_KEY)`,
    );
    expect(error.message).toContain(`kafka.saslPassword: secret secret/data/${prefix}/kafka has no key "noSuchKey"`);
  });

  it('writes a *File setting (device registry) to a private file', async () => {
    const config = await loadConfigWithSecrets({ env: vaultEnv(), logger: silentLogger });
    const file = config.bridge.registryFile!;
    expect(readFileSync(file, 'utf8')).toBe('devices:\n  dev-1: {hash: x}\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('without Vault, behaves as loadConfig and rejects a reference naming the setting', async () => {
    const config = await loadConfigWithSecrets({ env: { KOTS_KAFKA_PARTITIONS: '4' } });
    expect(config.kafka.partitions).toBe(4);
    await expect(loadConfigWithSecrets({ env: { KOTS_LAKE_SECRET_ACCESS_KEY: 'vault:kots/lake#secretAccessKey' } })).rejects.toThrow(ConfigError);
    await expect(loadConfigWithSecrets({ env: { KOTS_LAKE_SECRET_ACCESS_KEY: 'vault:kots/lake#secretAccessKey' } })).rejects.toThrow(
      /lake\.secretAccessKey: is a Vault reference .* but vault\.address is not set/,
    );
  });

  it('says Vault is unreachable, naming the address, when it is down at start', async () => {
    const error = await failure(() =>
      loadConfigWithSecrets({ env: { KOTS_VAULT_ADDRESS: 'http://127.0.0.1:1', KOTS_VAULT_TOKEN: 't' }, logger: silentLogger }),
    );
    expect(error.code).toBe('VAULT_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('http://127.0.0.1:1');
  });

  it('names the setting and the Vault path when a value has the wrong type', async () => {
    await putSecrets(rootClient(), { [`${prefix}-bad/consumer`]: { batchMaxRecords: 'lots' } });
    const error = await failure(() => loadConfigWithSecrets({ env: { ...vaultEnv(), KOTS_VAULT_PATH_PREFIX: `${prefix}-bad` }, logger: silentLogger }));
    expect(error.message).toContain(`consumer.batchMaxRecords (from Vault secret/data/${prefix}-bad/consumer#batchMaxRecords): expected a number`);
  });
});
