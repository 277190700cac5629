/**
 * Where `kots registry` reads and writes the registry: the file (`--file`, else
 * bridge.registryFile) or Vault (bridge.registryVaultPath). Both hold hashes only; a running
 * bridge notices the change by itself (file watch, Vault poll) and acts on it at once.
 */
import { existsSync } from 'node:fs';
import type { KotsConfig } from '../../core/config/index.js';
import { KotsError } from '../../core/errors.js';

export interface RegistryStore {
  readonly description: string;
  read(): Promise<import('../../bridge/registry/index.js').RegistryInput>;
  write(data: import('../../bridge/registry/index.js').RegistryInput): Promise<void>;
}

export async function openRegistryStore(config: KotsConfig, file: string | undefined): Promise<RegistryStore> {
  const registry = await import('../../bridge/registry/index.js');
  const path = file ?? config.bridge.registryFile;
  if (path) {
    return {
      description: path,
      read: async () => (existsSync(path) ? (await registry.loadRegistry(path)).data : { version: 1, devices: [], users: [] }),
      write: (data) => registry.writeRegistryFile(path, data),
    };
  }
  const settings = registry.vaultRegistrySettings(config);
  if (settings) {
    const source = new registry.VaultRegistrySource(settings, 0);
    return {
      description: `Vault ${settings.mount}/${settings.path}`,
      read: async () => {
        try {
          return (await source.load()).data;
        } finally {
          source.close();
        }
      },
      write: (data) => registry.writeRegistryToVault(settings, data),
    };
  }
  throw new KotsError('USAGE', 'no registry: give --file registry.yaml, or set bridge.registryFile (or bridge.registryVaultPath) in the config');
}
