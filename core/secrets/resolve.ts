/**
 * Loads the configuration with its secrets: `loadConfig` plus Vault.
 *
 * Precedence per setting: flags > environment > Vault > config file. A value
 * `vault:<path>#<key>` (from any of them) is replaced by that key of the KV v2
 * secret <path>; a setting given by no flag or variable is also looked up at its
 * default path <pathPrefix>/<section>, key <rest of its name>. Everything is read
 * once, here, at start: a Vault outage later never touches a running pipeline.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type ConfigLeaf, type KotsConfig, type LoadOptions } from '../config/index.js';
import { vaultSection } from '../config/vault.js';
import { ConfigError, KotsError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { convertSettingValue } from './convert.js';
import { formatVaultReference, isVaultReference, parseVaultReference, type VaultReference } from './reference.js';
import { settingSources, VAULT_ENV_ALIASES, type GivenValue } from './sources.js';
import type { VaultClient } from './vault-client.js';

export interface SecretLoadOptions extends LoadOptions {
  /** Logs where settings came from and token renewal trouble; default: a logger made from the loaded log settings. */
  logger?: Logger;
}

/** One setting whose value came from Vault (never the value itself). */
export interface SettingFromVault {
  setting: string;
  from: string;
  how: 'reference' | 'default path';
}

export interface ConfigWithSecrets {
  config: KotsConfig;
  fromVault: readonly SettingFromVault[];
  /** Stops token renewal (nothing else runs after start). */
  close(): void;
}

export async function loadConfigWithSecrets(options: SecretLoadOptions = {}): Promise<KotsConfig> {
  return (await resolveConfigWithSecrets(options)).config;
}

export async function resolveConfigWithSecrets(options: SecretLoadOptions = {}): Promise<ConfigWithSecrets> {
  const env = options.env ?? process.env;
  const overrides = Object.fromEntries(Object.entries(options.overrides ?? {}).filter(([, v]) => v !== undefined));
  const file = options.file;
  const { leaves, given } = settingSources({ ...(file ? { file } : {}), env, overrides });

  const settings = vaultSettings(leaves, given, options);
  const references = leaves.flatMap((leaf) => {
    const value = given.get(leaf.path.join('.'));
    return leaf.path[0] !== 'vault' && value && isVaultReference(value.value) ? [{ leaf, value }] : [];
  });
  if (!settings.address) {
    if (references.length > 0) {
      throw new ConfigError(
        references.map(
          ({ leaf, value }) =>
            `${leaf.path.join('.')}: is a Vault reference (${describeGiven(value)}) but vault.address is not set (KOTS_VAULT_ADDRESS or VAULT_ADDR)`,
        ),
        file ? `${file} and environment` : 'environment',
      );
    }
    return { config: loadConfig(options), fromVault: [], close() {} };
  }

  // Loaded only when Vault is configured: node-vault and its HTTP client weigh on the agent's memory.
  const { VaultClient } = await import('./vault-client.js');
  const vault = await VaultClient.connect({ ...settings, address: settings.address });
  try {
    const { values, fromVault } = await readFromVault(vault, leaves, given);
    // Pointing kots at an S3 bucket means "use S3" (as core/config/load.ts does for file and environment).
    const lakeTarget = ['lake.bucket', 'lake.endpoint'].some((path) => values[path] !== undefined || overrides[path] !== undefined);
    if (lakeTarget && !given.has('lake.kind')) values['lake.kind'] = 's3';
    for (const [alias, path] of Object.entries(VAULT_ENV_ALIASES)) {
      if (given.get(path)?.origin === alias && path !== 'vault.token') values[path] = env[alias];
    }
    // Variables holding a reference are replaced by the resolved value (an override), never parsed as the value.
    const plainEnv = Object.fromEntries(Object.entries(env).filter(([, value]) => !isVaultReference(value)));
    const config = loadConfig({ ...(file ? { file } : {}), env: plainEnv, overrides: { ...overrides, ...values } });
    const logger = options.logger ?? createLogger({ level: config.log.level, format: config.log.format, pretty: config.log.pretty, name: 'kots-secrets' });
    logger.info({ vault: settings.address, auth: vault.auth, settings: fromVault.map((s) => s.setting) }, `read ${fromVault.length} setting(s) from Vault`);
    vault.startRenewal(logger);
    return { config, fromVault, close: () => vault.close() };
  } catch (error) {
    vault.close();
    throw error;
  }
}

function vaultSettings(leaves: readonly ConfigLeaf[], given: ReadonlyMap<string, GivenValue>, options: SecretLoadOptions): KotsConfig['vault'] {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const leaf of leaves) {
    if (leaf.path[0] !== 'vault') continue;
    const value = given.get(leaf.path.join('.'));
    if (!value) continue;
    const converted = value.source === 'environment' ? convertSettingValue(leaf, value.value) : { ok: true as const, value: value.value };
    if (converted.ok) raw[leaf.path.slice(1).join('.')] = converted.value;
    else problems.push(`${leaf.path.join('.')} (from ${value.origin}): ${converted.reason}`);
  }
  const parsed = vaultSection.safeParse(raw);
  if (problems.length === 0 && parsed.success) return parsed.data;
  loadConfig(options); // names every problem of the file and environment the usual way
  throw new ConfigError([...problems, ...(parsed.error?.issues ?? []).map((issue) => `vault.${issue.path.join('.')}: ${issue.message}`)], 'vault settings');
}

async function readFromVault(vault: VaultClient, leaves: readonly ConfigLeaf[], given: ReadonlyMap<string, GivenValue>) {
  const { pathPrefix, defaultPaths } = vault.settings;
  // A reference was given somewhere; a default path was not.
  const wanted: Array<
    { leaf: ConfigLeaf; reference: VaultReference } & ({ how: 'reference'; given: GivenValue } | { how: 'default path'; given?: undefined })
  > = [];
  const problems: string[] = [];
  for (const leaf of leaves) {
    if (leaf.path[0] === 'vault') continue;
    const setting = leaf.path.join('.');
    const value = given.get(setting);
    if (value && isVaultReference(value.value)) {
      const reference = parseVaultReference(value.value);
      if ('problem' in reference) problems.push(`${setting} (from ${value.origin}): ${reference.problem}`);
      else wanted.push({ leaf, reference, how: 'reference', given: value });
    } else if (defaultPaths && (!value || value.source === 'file')) {
      const [section, ...rest] = leaf.path;
      wanted.push({ leaf, reference: { path: [pathPrefix, section].filter(Boolean).join('/'), key: rest.join('.') }, how: 'default path' });
    }
  }
  // Each secret path is read once, all of them together.
  const paths = [...new Set(wanted.map((w) => w.reference.path))];
  const secrets = new Map(await Promise.all(paths.map(async (path) => [path, await vault.read(path)] as const)));

  const values: Record<string, unknown> = {};
  const fromVault: SettingFromVault[] = [];
  for (const { leaf, reference, how, given: value } of wanted) {
    const setting = leaf.path.join('.');
    const data = secrets.get(reference.path);
    const found = data !== undefined && Object.hasOwn(data, reference.key);
    if (!found) {
      if (how === 'reference') {
        const what =
          data === undefined
            ? `there is no secret at ${vault.dataPath(reference.path)}`
            : `secret ${vault.dataPath(reference.path)} has no key "${reference.key}"`;
        problems.push(`${setting}: ${what} (reference ${formatVaultReference(reference)} from ${value.origin})`);
      }
      continue;
    }
    const converted = convertSettingValue(leaf, data[reference.key]);
    if (!converted.ok) {
      problems.push(`${setting} (from Vault ${vault.dataPath(reference.path)}#${reference.key}): ${converted.reason}`);
      continue;
    }
    values[setting] = isFileSetting(leaf) ? writePrivateFile(setting, String(converted.value)) : converted.value;
    fromVault.push({ setting, from: `${vault.dataPath(reference.path)}#${reference.key}`, how });
  }
  if (problems.length > 0) {
    throw new KotsError('SECRET_MISSING', `secrets missing in Vault at ${vault.settings.address}:\n  - ${problems.join('\n  - ')}`);
  }
  return { values, fromVault };
}

function describeGiven(value: GivenValue): string {
  return `"${String(value.value)}" from ${value.origin}`;
}

/** Settings named *File (registry, TLS keys) take the secret's content, written to a private file. */
function isFileSetting(leaf: ConfigLeaf): boolean {
  return leaf.kind === 'string' && (leaf.path.at(-1) ?? '').endsWith('File');
}

let privateDir: string | undefined;

function writePrivateFile(setting: string, content: string): string {
  if (!privateDir) {
    const dir = mkdtempSync(join(tmpdir(), 'kots-secrets-'));
    chmodSync(dir, 0o700);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    privateDir = dir;
  }
  const file = join(privateDir, setting);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}
