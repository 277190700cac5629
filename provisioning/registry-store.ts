/**
 * The bridge's device registry, as provisioning reads and writes it: the file
 * named by bridge.registryFile (default <stateDir>/registry.yaml), or the Vault
 * secret bridge.registryVaultPath. Only credential hashes go there; the bridge
 * notices each write by itself (file watch, Vault poll).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError } from '../core/errors.js';
import { loadRegistry, parseRegistryYaml, writeRegistryFile, writeRegistryToVault, type RegistryInput } from '../bridge/registry/index.js';
import { vaultAccess, vaultClient, type VaultAccess } from './secret-store.js';

export interface RegistryStore {
  readonly description: string;
  /** Where the bridge should be pointed, as a config line. */
  readonly bridgeSetting: string;
  read(): Promise<RegistryInput>;
  write(data: RegistryInput): Promise<void>;
}

const EMPTY: RegistryInput = { version: 1, devices: [], users: [] };

export class FileRegistryStore implements RegistryStore {
  constructor(readonly file: string) {}

  get description(): string {
    return this.file;
  }

  get bridgeSetting(): string {
    return `bridge.registryFile: ${this.file}`;
  }

  async read(): Promise<RegistryInput> {
    if (!existsSync(this.file)) return EMPTY;
    return (await loadRegistry(this.file)).data;
  }

  write(data: RegistryInput): Promise<void> {
    return writeRegistryFile(this.file, data);
  }
}

export class VaultRegistryStore implements RegistryStore {
  constructor(
    private readonly access: VaultAccess,
    private readonly path: string,
  ) {}

  get description(): string {
    return `vault:${this.access.mount}/data/${this.path}`;
  }

  get bridgeSetting(): string {
    return `bridge.registryVaultPath: ${this.path}`;
  }

  async read(): Promise<RegistryInput> {
    let answer: { data?: { data?: Record<string, unknown> | null } };
    try {
      answer = (await vaultClient(this.access).read(`${this.access.mount}/data/${this.path}`)) as typeof answer;
    } catch (error) {
      if ((error as { response?: { statusCode?: number } }).response?.statusCode === 404) return EMPTY;
      throw new KotsError('VAULT_UNAVAILABLE', `cannot read the device registry ${this.description} at ${this.access.address}: ${(error as Error).message}`, {
        retryable: true,
        cause: error,
      });
    }
    const text = answer.data?.data?.registry;
    if (typeof text !== 'string') return EMPTY;
    return parseRegistryYaml(text, this.description).data;
  }

  write(data: RegistryInput): Promise<void> {
    return writeRegistryToVault(
      {
        address: this.access.address,
        token: this.access.token,
        mount: this.access.mount,
        path: this.path,
        ...(this.access.namespace ? { namespace: this.access.namespace } : {}),
        timeoutMs: this.access.timeoutMs,
      },
      data,
    );
  }
}

export async function openRegistryStore(config: KotsConfig): Promise<RegistryStore> {
  if (config.bridge.registryVaultPath) {
    const access = await vaultAccess(config.vault);
    if (!access) throw new KotsError('CONFIG_INVALID', 'bridge.registryVaultPath needs vault.address (or VAULT_ADDR) and a token or AppRole');
    return new VaultRegistryStore(access, config.bridge.registryVaultPath);
  }
  return new FileRegistryStore(resolve(config.bridge.registryFile ?? join(config.fleet.stateDir, 'registry.yaml')));
}
