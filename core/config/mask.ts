/**
 * The effective configuration with every setting the schema marks secret
 * replaced by "***" (common.ts `secret`): what `kots config show` prints.
 * Masking goes by the mark, never by the setting's name, so a secret called
 * `alertsWebhookUrl` is masked as surely as one called `password`.
 */
import { configLeaves } from './leaves.js';
import { configSchema, type KotsConfig } from './schema.js';

export const MASK = '***';

export function maskSecrets(config: KotsConfig): unknown {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const leaf of configLeaves(configSchema)) {
    if (!leaf.secret) continue;
    let parent: Record<string, unknown> | undefined = copy;
    for (const key of leaf.path.slice(0, -1)) parent = parent?.[key] as Record<string, unknown> | undefined;
    const key = leaf.path.at(-1);
    if (parent && key !== undefined && parent[key] !== undefined) parent[key] = MASK;
  }
  return copy;
}
