/**
 * Where the fleet's secrets live at the central site: device credentials, the
 * operator user's credential and the OpenWeather API key. Vault (or OpenBao)
 * KV v2 when `vault.address` is configured, else <stateDir>/secrets.json with
 * mode 600. Values are never logged; errors name paths, never values.
 *
 * Vault layout (mount `vault.mount`, prefix `vault.pathPrefix`, default `kots`):
 *   <prefix>/fleet/devices/<device id>   key `credential`
 *   <prefix>/fleet/operator               key `credential`
 *   <prefix>/agent                        key `openweatherApiKey` (the agent's default Vault path, see core/secrets)
 *
 * core/secrets' VaultClient only reads; writing needs node-vault directly (same
 * login rules: token, token file or AppRole).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import nodeVault from 'node-vault';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError } from '../core/errors.js';
import { reasonOf, statusOf } from '../core/secrets/vault-client.js';

export type SecretName = { kind: 'device'; id: string } | { kind: 'operator' } | { kind: 'openweather' };

export interface SecretStore {
  /** For messages: the file or the Vault address and mount. */
  readonly description: string;
  readonly kind: 'vault' | 'file';
  get(name: SecretName): Promise<string | undefined>;
  set(name: SecretName, value: string): Promise<void>;
  delete(name: SecretName): Promise<void>;
}

export const SECRETS_FILE = 'secrets.json';

interface SecretsFileContent {
  devices: Record<string, string>;
  operator?: string;
  openweatherApiKey?: string;
}

/** The 0600 JSON file in the state folder. */
export class FileSecretStore implements SecretStore {
  readonly kind = 'file';
  readonly file: string;

  constructor(stateDir: string) {
    this.file = resolve(stateDir, SECRETS_FILE);
  }

  get description(): string {
    return this.file;
  }

  private read(): SecretsFileContent {
    if (!existsSync(this.file)) return { devices: {} };
    try {
      const value = JSON.parse(readFileSync(this.file, 'utf8')) as SecretsFileContent;
      return { ...value, devices: value.devices ?? {} };
    } catch (error) {
      throw new KotsError('CONFIG_INVALID', `the fleet secrets file ${this.file} is not valid JSON: ${(error as Error).message}`);
    }
  }

  private write(content: SecretsFileContent): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }

  async get(name: SecretName): Promise<string | undefined> {
    const content = this.read();
    if (name.kind === 'device') return content.devices[name.id];
    return name.kind === 'operator' ? content.operator : content.openweatherApiKey;
  }

  async set(name: SecretName, value: string): Promise<void> {
    const content = this.read();
    if (name.kind === 'device') content.devices[name.id] = value;
    else if (name.kind === 'operator') content.operator = value;
    else content.openweatherApiKey = value;
    this.write(content);
  }

  async delete(name: SecretName): Promise<void> {
    const content = this.read();
    if (name.kind === 'device') delete content.devices[name.id];
    else if (name.kind === 'operator') delete content.operator;
    else delete content.openweatherApiKey;
    this.write(content);
  }
}

function describeFailure(error: unknown): string {
  const status = statusOf(error);
  return `${status ? `HTTP ${status}: ` : ''}${reasonOf(error)}`;
}

/** Address and a token for Vault, logging in with AppRole when configured. */
export interface VaultAccess {
  address: string;
  token: string;
  mount: string;
  pathPrefix: string;
  namespace?: string;
  timeoutMs: number;
}

export async function vaultAccess(vault: KotsConfig['vault']): Promise<VaultAccess | undefined> {
  const address = vault.address ?? process.env.VAULT_ADDR;
  if (!address) return undefined;
  const namespace = vault.namespace ?? process.env.VAULT_NAMESPACE;
  const base = { address, mount: vault.mount, pathPrefix: vault.pathPrefix, ...(namespace ? { namespace } : {}), timeoutMs: vault.timeoutSeconds * 1000 };
  if (vault.roleId && vault.secretId) {
    const client = nodeVault({ apiVersion: 'v1', endpoint: address, ...(namespace ? { namespace } : {}), requestOptions: { timeout: base.timeoutMs } });
    try {
      const login = (await client.approleLogin({ mount_point: vault.appRoleMount, role_id: vault.roleId, secret_id: vault.secretId })) as {
        auth?: { client_token?: string };
      };
      if (!login.auth?.client_token) throw new Error('the answer carried no client token');
      return { ...base, token: login.auth.client_token };
    } catch (error) {
      throw new KotsError('AUTH_FAILED', `Vault at ${address} refused the AppRole login (role id ${vault.roleId}): ${describeFailure(error)}`, {
        cause: error,
      });
    }
  }
  const token = vault.token ?? process.env.VAULT_TOKEN ?? (vault.tokenFile ? readFileSync(vault.tokenFile, 'utf8').trim() : undefined);
  if (!token)
    throw new KotsError(
      'CONFIG_INVALID',
      'vault.address is set but no credentials are: give vault.token (VAULT_TOKEN), vault.tokenFile, or vault.roleId + vault.secretId',
    );
  return { ...base, token };
}

export function vaultClient(access: VaultAccess): nodeVault.client {
  return nodeVault({
    apiVersion: 'v1',
    endpoint: access.address,
    token: access.token,
    ...(access.namespace ? { namespace: access.namespace } : {}),
    requestOptions: { timeout: access.timeoutMs },
  });
}

/** KV v2 in Vault or OpenBao. */
export class VaultSecretStore implements SecretStore {
  readonly kind = 'vault';
  private readonly client: nodeVault.client;

  constructor(private readonly access: VaultAccess) {
    this.client = vaultClient(access);
  }

  get description(): string {
    return `Vault ${this.access.address} (${this.access.mount}/data/${this.access.pathPrefix}/...)`;
  }

  /** Secret path inside the mount, and the key. */
  location(name: SecretName): { path: string; key: string } {
    const prefix = this.access.pathPrefix.replace(/\/+$/, '');
    if (name.kind === 'device') return { path: `${prefix}/fleet/devices/${name.id}`, key: 'credential' };
    if (name.kind === 'operator') return { path: `${prefix}/fleet/operator`, key: 'credential' };
    return { path: `${prefix}/agent`, key: 'openweatherApiKey' };
  }

  private async readData(path: string): Promise<Record<string, unknown> | undefined> {
    try {
      const answer = (await this.client.read(`${this.access.mount}/data/${path}`)) as { data?: { data?: Record<string, unknown> | null } };
      return answer.data?.data ?? undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.failure('read', path, error);
    }
  }

  private async writeData(path: string, data: Record<string, unknown>): Promise<void> {
    try {
      await this.client.write(`${this.access.mount}/data/${path}`, { data });
    } catch (error) {
      throw this.failure('write', path, error);
    }
  }

  private failure(what: 'read' | 'write' | 'delete', path: string, error: unknown): KotsError {
    const status = statusOf(error);
    const full = `${this.access.mount}/data/${path}`;
    if (status === 403)
      return new KotsError(
        'NOT_AUTHORIZED',
        `Vault at ${this.access.address} refused to ${what} ${full} (${describeFailure(error)}): the policy must allow it`,
        { cause: error },
      );
    return new KotsError('VAULT_UNAVAILABLE', `cannot ${what} ${full} in Vault at ${this.access.address}: ${describeFailure(error)}`, {
      retryable: true,
      cause: error,
    });
  }

  async get(name: SecretName): Promise<string | undefined> {
    const { path, key } = this.location(name);
    const value = (await this.readData(path))?.[key];
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  async set(name: SecretName, value: string): Promise<void> {
    const { path, key } = this.location(name);
    // A KV v2 write replaces every key of the secret: keep the other keys (the agent's path holds more than the API key).
    const current = name.kind === 'device' ? {} : ((await this.readData(path)) ?? {});
    await this.writeData(path, { ...current, [key]: value });
  }

  async delete(name: SecretName): Promise<void> {
    const { path, key } = this.location(name);
    if (name.kind !== 'device') {
      const current = (await this.readData(path)) ?? {};
      delete current[key];
      return this.writeData(path, current);
    }
    try {
      // Metadata delete removes every version: a revoked device's old credential is not kept in history.
      await this.client.delete(`${this.access.mount}/metadata/${path}`);
    } catch (error) {
      if (statusOf(error) !== 404) throw this.failure('delete', path, error);
    }
  }
}

/** Vault when configured, else the 0600 file in the state folder. */
export async function openSecretStore(config: KotsConfig): Promise<SecretStore> {
  const access = await vaultAccess(config.vault);
  return access ? new VaultSecretStore(access) : new FileSecretStore(config.fleet.stateDir);
}
