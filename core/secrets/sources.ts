/**
 * Where each setting's value comes from before Vault is asked: a flag
 * (command-line override), the environment, or the config file. Vault slots in
 * between the environment and the file, so kots must know, per setting, which
 * of them gave it. Mirrors the sources read by core/config/load.ts.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { configLeaves, configSchema, envName, ENV_ALIASES, type ConfigLeaf } from '../config/index.js';

export type SettingSource = 'flag' | 'environment' | 'file';

export interface GivenValue {
  source: SettingSource;
  /** The flag, variable or file that gave it, for messages. */
  origin: string;
  value: unknown;
}

/** The variables of the vault CLI, accepted for the vault section beside KOTS_VAULT_*. */
export const VAULT_ENV_ALIASES: Readonly<Record<string, string>> = {
  VAULT_ADDR: 'vault.address',
  VAULT_TOKEN: 'vault.token',
  VAULT_NAMESPACE: 'vault.namespace',
};

export interface SettingSources {
  leaves: readonly ConfigLeaf[];
  /** Winning given value per dotted path (flag > environment > file). */
  given: ReadonlyMap<string, GivenValue>;
}

export interface SourceOptions {
  file?: string;
  env: NodeJS.ProcessEnv;
  overrides: Record<string, unknown>;
}

export function settingSources(options: SourceOptions): SettingSources {
  const leaves = configLeaves(configSchema);
  const given = new Map<string, GivenValue>();
  const file = options.file;
  const fileValues = file ? readYamlQuietly(file) : {};
  const aliasesByPath = new Map<string, string[]>();
  for (const [alias, path] of [...Object.entries(ENV_ALIASES), ...Object.entries(VAULT_ENV_ALIASES)]) {
    aliasesByPath.set(path, [...(aliasesByPath.get(path) ?? []), alias]);
  }
  for (const leaf of leaves) {
    const path = leaf.path.join('.');
    if (options.overrides[path] !== undefined) {
      given.set(path, { source: 'flag', origin: `--${path}`, value: options.overrides[path] });
      continue;
    }
    // The KOTS_ name wins over an alias, as in core/config/load.ts.
    const variable = [envName(leaf.path), ...(aliasesByPath.get(path) ?? [])].find((name) => options.env[name] !== undefined && options.env[name] !== '');
    if (variable) {
      given.set(path, { source: 'environment', origin: variable, value: options.env[variable] });
      continue;
    }
    const fromFile = file ? valueAt(fileValues, leaf.path) : undefined;
    if (file && fromFile !== undefined && fromFile !== null) given.set(path, { source: 'file', origin: file, value: fromFile });
  }
  return { leaves, given };
}

/** The file is validated for real by loadConfig; here an unreadable file simply gives nothing. */
function readYamlQuietly(file: string): Record<string, unknown> {
  try {
    const value: unknown = parseYaml(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function valueAt(root: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
