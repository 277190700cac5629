/**
 * The little of Vault that kots needs: log in (token, token file or AppRole),
 * read KV v2 secrets (each path once, cached), keep the token renewed.
 * Works with HashiCorp Vault and OpenBao (same HTTP API) through node-vault.
 */
import { readFileSync } from 'node:fs';
import type nodeVault from 'node-vault';
import type { KotsConfig } from '../config/index.js';
import { KotsError } from '../errors.js';
import type { Logger } from '../log.js';

export type VaultSettings = KotsConfig['vault'];

/** Data of a KV v2 secret: key -> value (strings when written with `vault kv put`). */
export type SecretData = Readonly<Record<string, unknown>>;

interface HttpFailure {
  response?: { statusCode?: number; body?: { errors?: string[] } };
  code?: string;
  message?: string;
}

/** HTTP status of a failed node-vault call, if it got that far. */
export function statusOf(error: unknown): number | undefined {
  return (error as HttpFailure)?.response?.statusCode;
}

/** Vault's own error text of a failed node-vault call, else the network error. */
export function reasonOf(error: unknown): string {
  const failure = error as HttpFailure;
  const errors = failure?.response?.body?.errors?.filter(Boolean);
  if (errors?.length) return errors.join('; ');
  return [failure?.code, failure?.message].filter(Boolean).join(' ') || String(error);
}

export class VaultClient {
  private readonly cache = new Map<string, Promise<SecretData | undefined>>();
  private renewing = false;

  private constructor(
    private readonly client: nodeVault.client,
    readonly settings: VaultSettings & { address: string },
    readonly auth: 'token' | 'approle',
  ) {}

  /** Connects and logs in; fails at once, naming the address and the auth method, when that is impossible. */
  static async connect(settings: VaultSettings & { address: string }): Promise<VaultClient> {
    const token = settings.token ?? (settings.tokenFile ? readTokenFile(settings.tokenFile) : undefined);
    // Loaded here, not at start: every command reads its config through this module, few use Vault.
    const { default: createClient } = await import('node-vault');
    const client = createClient({
      apiVersion: 'v1',
      endpoint: settings.address,
      pathPrefix: '/',
      ...(token ? { token } : {}),
      ...(settings.namespace ? { namespace: settings.namespace } : {}),
      requestOptions: { timeout: settings.timeoutSeconds * 1000 },
    });
    if (settings.roleId && settings.secretId) {
      try {
        const login = (await client.approleLogin({ mount_point: settings.appRoleMount, role_id: settings.roleId, secret_id: settings.secretId })) as {
          auth?: { client_token?: string };
        };
        if (!login.auth?.client_token) throw new Error('the answer carried no client token');
        client.token = login.auth.client_token;
      } catch (error) {
        throw loginError(settings, `AppRole login (auth/${settings.appRoleMount}/login, role id ${settings.roleId})`, error);
      }
      return new VaultClient(client, settings, 'approle');
    }
    if (!token) {
      throw new KotsError(
        'CONFIG_INVALID',
        'vault.address is set but no credentials are: give vault.token (KOTS_VAULT_TOKEN or VAULT_TOKEN), vault.tokenFile, or vault.roleId + vault.secretId (AppRole)',
      );
    }
    try {
      await client.tokenLookupSelf();
    } catch (error) {
      throw loginError(settings, 'token lookup (auth/token/lookup-self)', error);
    }
    return new VaultClient(client, settings, 'token');
  }

  /** Full API path of a KV v2 secret, as named in messages and policies. */
  dataPath(path: string): string {
    return `${this.settings.mount}/data/${path}`;
  }

  /** The secret's data, or undefined when there is no such secret (or its latest version is deleted). */
  read(path: string): Promise<SecretData | undefined> {
    let pending = this.cache.get(path);
    if (!pending) {
      pending = this.fetch(path);
      this.cache.set(path, pending);
    }
    return pending;
  }

  private async fetch(path: string): Promise<SecretData | undefined> {
    try {
      const answer = (await this.client.read(this.dataPath(path))) as { data?: { data?: Record<string, unknown> | null } };
      return answer.data?.data ?? undefined;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return undefined;
      if (status === 403) {
        throw new KotsError(
          'NOT_AUTHORIZED',
          `Vault at ${this.settings.address} refused reading ${this.dataPath(path)} (${reasonOf(error)}): the ${this.auth} policy must allow "read" on it`,
        );
      }
      throw new KotsError('VAULT_UNAVAILABLE', `cannot read ${this.dataPath(path)} from Vault at ${this.settings.address}: ${reasonOf(error)}`, {
        retryable: true,
        cause: error,
      });
    }
  }

  /** Writes a new version of a KV v2 secret (the game master's rules variant, `kots challenge new`). */
  async write(path: string, data: SecretData): Promise<void> {
    try {
      await this.client.write(this.dataPath(path), { data });
      this.cache.delete(path);
    } catch (error) {
      if (statusOf(error) === 403) {
        throw new KotsError(
          'NOT_AUTHORIZED',
          `Vault at ${this.settings.address} refused writing ${this.dataPath(path)} (${reasonOf(error)}): the ${this.auth} policy must allow "create" and "update" on it`,
        );
      }
      throw new KotsError('VAULT_UNAVAILABLE', `cannot write ${this.dataPath(path)} to Vault at ${this.settings.address}: ${reasonOf(error)}`, {
        retryable: true,
        cause: error,
      });
    }
  }

  /**
   * Keeps a renewable token alive (AppRole tokens have a TTL). Secrets were all
   * read at start, so a failed renewal, or Vault going away, is only logged:
   * the running pipeline never depends on Vault after start.
   */
  startRenewal(logger: Logger): void {
    if (this.renewing || !this.settings.renewToken) return;
    this.renewing = true;
    this.client.on('token:error:renew', (error: unknown) =>
      logger.warn({ vault: this.settings.address, err: reasonOf(error) }, 'Vault token renewal failed; secrets read at start stay in use'),
    );
    this.client.on('token:expired', () =>
      logger.warn({ vault: this.settings.address }, 'Vault token is no longer renewable; secrets read at start stay in use'),
    );
    this.client.on('token:renewed', () => logger.debug({ vault: this.settings.address }, 'Vault token renewed'));
    this.client
      .startTokenRenewal()
      .catch((error: unknown) => logger.warn({ vault: this.settings.address, err: reasonOf(error) }, 'cannot look up the Vault token to schedule its renewal'));
  }

  close(): void {
    this.client.stopAllRenewals();
  }
}

function readTokenFile(file: string): string {
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (!token) throw new Error('the file is empty');
    return token;
  } catch (error) {
    throw new KotsError('CONFIG_INVALID', `vault.tokenFile: cannot read a token from ${file}: ${(error as Error).message}`, { cause: error });
  }
}

function loginError(settings: VaultSettings & { address: string }, what: string, error: unknown): KotsError {
  const status = statusOf(error);
  if (status === 400 || status === 401 || status === 403) {
    return new KotsError('AUTH_FAILED', `Vault at ${settings.address} refused the ${what}: ${reasonOf(error)}`, { cause: error });
  }
  return new KotsError('VAULT_UNAVAILABLE', `cannot reach Vault at ${settings.address} for the ${what}: ${reasonOf(error)}`, { retryable: true, cause: error });
}
