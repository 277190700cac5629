/**
 * The device registry's public API, for the bridge and for fleet provisioning:
 *
 *   const hash = await hashCredential(secret);           // store this, never the secret
 *   await writeRegistryFile(file, upsertDevice(data, { id, city, hash }));
 *   const registry = await loadRegistry(file);           // validated, indexed
 *   await verifyCredential(secret, registry.device(id)!.hash);
 *   await writeRegistryToVault({ address, token, mount: 'secret', path: 'kots/registry' }, data);
 *
 * The running bridge notices a new file or Vault version by itself (no restart)
 * and closes the live connection of a device that was removed or revoked.
 */
import type { KotsConfig } from '../../core/config/index.js';
import { readFileSync } from 'node:fs';
import { KotsError } from '../../core/errors.js';
import { FileRegistrySource, VaultRegistrySource, type RegistrySource, type VaultRegistrySettings } from './sources.js';

export {
  DEFAULT_SCRYPT_COST,
  generateCredential,
  hashCredential,
  hashDeviceCredential,
  isCredentialHash,
  verifyCredential,
  type ScryptCost,
} from './credentials.js';
export {
  loadRegistry,
  parseRegistry,
  parseRegistryYaml,
  Registry,
  registryToYaml,
  upsertDevice,
  upsertUser,
  USER_ROLES,
  writeRegistryFile,
  type DeviceEntry,
  type RegistryData,
  type RegistryInput,
  type UserEntry,
  type UserRole,
} from './registry.js';
export { FileRegistrySource, VaultRegistrySource, writeRegistryToVault, type RegistrySource, type VaultRegistrySettings } from './sources.js';

/** The registry source the configuration names, or undefined (anonymous devices). */
export function registrySourceFromConfig(config: KotsConfig): RegistrySource | undefined {
  const bridge = config.bridge;
  const pollMs = bridge.registryReloadSeconds * 1000;
  if (bridge.registryFile) return new FileRegistrySource(bridge.registryFile, pollMs);
  const vault = vaultRegistrySettings(config);
  return vault ? new VaultRegistrySource(vault, pollMs) : undefined;
}

/** Where bridge.registryVaultPath points, with the Vault address and token; undefined without it. */
export function vaultRegistrySettings(config: KotsConfig): VaultRegistrySettings | undefined {
  const bridge = config.bridge;
  if (!bridge.registryVaultPath) return undefined;
  const vault = config.vault;
  const address = vault.address ?? process.env.VAULT_ADDR;
  const token = vault.token ?? process.env.VAULT_TOKEN ?? (vault.tokenFile ? readFileSync(vault.tokenFile, 'utf8').trim() : undefined);
  if (!address || !token) {
    throw new KotsError('CONFIG_INVALID', 'bridge.registryVaultPath needs vault.address (or VAULT_ADDR) and vault.token (or VAULT_TOKEN, vault.tokenFile)');
  }
  return {
    address,
    token,
    mount: vault.mount,
    path: bridge.registryVaultPath,
    ...(vault.namespace ? { namespace: vault.namespace } : {}),
    timeoutMs: vault.timeoutSeconds * 1000,
  };
}
