/**
 * A Vault reference is a setting value `vault:<path>#<key>`: the key <key> of the
 * KV v2 secret <path> (relative to the configured mount), e.g.
 * `vault:kots/lake#secretAccessKey` reads key secretAccessKey of secret/data/kots/lake.
 */
export const VAULT_REFERENCE_PREFIX = 'vault:';

export interface VaultReference {
  path: string;
  key: string;
}

export function isVaultReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(VAULT_REFERENCE_PREFIX);
}

/** Returns the reference, or a reason why the text is not a well-formed one. */
export function parseVaultReference(text: string): VaultReference | { problem: string } {
  const body = text.slice(VAULT_REFERENCE_PREFIX.length);
  const hash = body.lastIndexOf('#');
  const path = (hash < 0 ? body : body.slice(0, hash)).replace(/^\/+|\/+$/g, '');
  const key = hash < 0 ? '' : body.slice(hash + 1);
  if (!path || !key) return { problem: `"${text}" is not a Vault reference of the form vault:<path>#<key>, e.g. vault:kots/lake#secretAccessKey` };
  return { path, key };
}

export function formatVaultReference(reference: VaultReference): string {
  return `${VAULT_REFERENCE_PREFIX}${reference.path}#${reference.key}`;
}
