/**
 * Where the active rules variant lives: with the lake's own state
 * (`_state/challenge/variant.json`), or in Vault (KV v2, `<vault.pathPrefix>/challenge`,
 * key `variant`) when Vault is configured, so that whoever can read the lake
 * still cannot read the answers. No variant stored means the original rules.
 */
import type { KotsConfig } from '../../core/config/index.js';
import type { Lake } from '../../core/lake/index.js';
import { VaultClient } from '../../core/secrets/index.js';
import { ORIGINAL_RULES, type RuleSet } from './rules.js';
import { parseVariant, type RuleVariant } from './variant.js';

export const VARIANT_LAKE_KEY = '_state/challenge/variant.json';

export interface VariantStore {
  load(): Promise<RuleVariant | undefined>;
  save(variant: RuleVariant): Promise<void>;
  /** Back to the original rules. */
  clear(): Promise<void>;
  /** Where it is kept, for messages (never the content). */
  describe(): string;
}

export function variantStore(config: KotsConfig, lake: Lake): VariantStore {
  const address = config.vault.address;
  if (!address) return lakeStore(lake);
  const path = `${config.vault.pathPrefix}/challenge`;
  const withVault = async <T>(action: (vault: VaultClient) => Promise<T>): Promise<T> => {
    // A token given as VAULT_TOKEN (the vault CLI's variable) is used to log in but not kept in the
    // resolved config (core/secrets/resolve.ts), so it is looked up here the same way.
    const token = config.vault.token ?? process.env.VAULT_TOKEN;
    const vault = await VaultClient.connect({ ...config.vault, address, ...(token ? { token } : {}) });
    try {
      return await action(vault);
    } finally {
      vault.close();
    }
  };
  return {
    load: () =>
      withVault(async (vault) => {
        const data = await vault.read(path);
        const text = data?.variant;
        return typeof text === 'string' && text !== '' ? parseVariant(JSON.parse(text)) : undefined;
      }),
    save: (variant) => withVault((vault) => vault.write(path, { variant: JSON.stringify(variant) })),
    clear: () => withVault((vault) => vault.write(path, { variant: '' })),
    describe: () => `Vault ${address} (${config.vault.mount}/${path})`,
  };
}

function lakeStore(lake: Lake): VariantStore {
  return {
    async load() {
      const keys = await lake.list(VARIANT_LAKE_KEY);
      if (!keys.includes(VARIANT_LAKE_KEY)) return undefined;
      return parseVariant(JSON.parse(Buffer.from(await lake.get(VARIANT_LAKE_KEY)).toString('utf8')));
    },
    save: (variant) => lake.put(VARIANT_LAKE_KEY, Buffer.from(JSON.stringify(variant))),
    clear: async () => {
      const keys = await lake.list(VARIANT_LAKE_KEY);
      if (keys.includes(VARIANT_LAKE_KEY)) await lake.delete(VARIANT_LAKE_KEY);
    },
    describe: () => `the lake's state (${lake.describe()})`,
  };
}

/** The rules the consumer labels with: the stored variant's, else the original. */
export async function activeRules(config: KotsConfig, lake: Lake): Promise<{ rules: RuleSet; variant: boolean }> {
  const variant = await variantStore(config, lake).load();
  return variant ? { rules: variant.rules, variant: true } : { rules: ORIGINAL_RULES, variant: false };
}
