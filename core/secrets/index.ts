export { loadConfigWithSecrets, resolveConfigWithSecrets, type ConfigWithSecrets, type SecretLoadOptions, type SettingFromVault } from './resolve.js';
export { isVaultReference, parseVaultReference, formatVaultReference, VAULT_REFERENCE_PREFIX, type VaultReference } from './reference.js';
export { VaultClient, type SecretData, type VaultSettings } from './vault-client.js';
export { VAULT_ENV_ALIASES } from './sources.js';
