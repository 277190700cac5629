import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, KotsError } from '../errors.js';
import { configLeaves, convertSettingText, envName, type ConfigLeaf } from './leaves.js';
import { configSchema, type KotsConfig } from './schema.js';

/**
 * Well-known variables users already have (Kafka and S3 tooling, AWS SDKs),
 * accepted beside the KOTS_ names; the KOTS_ name wins when both are set.
 */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  KAFKA_BROKERS: 'kafka.brokers',
  S3_ENDPOINT: 'lake.endpoint',
  S3_BUCKET: 'lake.bucket',
  AWS_REGION: 'lake.region',
  AWS_ACCESS_KEY_ID: 'lake.accessKeyId',
  AWS_SECRET_ACCESS_KEY: 'lake.secretAccessKey',
  MQTT_URL: 'mqtt.url',
};

export interface LoadOptions {
  /** YAML file; absent means defaults and environment only. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings given on the command line; they win over everything. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(options: LoadOptions = {}): KotsConfig {
  const env = options.env ?? process.env;
  const raw = options.file ? readConfigFile(options.file) : {};
  const problems: string[] = [];
  const leaves = configLeaves(configSchema);
  const byPath = new Map(leaves.map((leaf) => [leaf.path.join('.'), leaf]));
  // A config file's lake folder means the folder beside the file, wherever kots is started from
  // (a relative path from the environment or the command line stays relative to the working folder).
  const fileFolder = options.file ? dirname(resolve(options.file)) : undefined;
  const fileLake = raw.lake as Record<string, unknown> | undefined;
  if (fileFolder && typeof fileLake?.path === 'string' && !isAbsolute(fileLake.path)) fileLake.path = resolve(fileFolder, fileLake.path);
  if (fileFolder && fileLake?.path === undefined) setPath(raw, ['lake', 'path'], resolve(fileFolder, String(byPath.get('lake.path')?.defaultValue ?? '')));

  const fromEnv: Array<[ConfigLeaf, string, string]> = [];
  for (const [alias, path] of Object.entries(ENV_ALIASES)) {
    const value = env[alias];
    if (value === undefined || value === '') continue;
    const leaf = byPath.get(path);
    if (!leaf) throw new Error(`ENV_ALIASES: ${alias} stands for ${path}, which is not a setting of the schema`);
    fromEnv.push([leaf, alias, value]);
  }
  for (const leaf of leaves) {
    const name = envName(leaf.path);
    const value = env[name];
    if (value !== undefined && value !== '') fromEnv.push([leaf, name, value]);
  }
  for (const [leaf, name, text] of fromEnv) {
    const converted = convertSettingText(leaf, text);
    if (converted.ok) setPath(raw, leaf.path, converted.value);
    else problems.push(`${leaf.path.join('.')} (from ${name}="${text}"): ${converted.reason}`);
  }
  // Pointing kots at an S3 endpoint or bucket means "use S3" unless the kind is set explicitly.
  const lake = (raw.lake ?? {}) as Record<string, unknown>;
  if (lake.kind === undefined && (lake.bucket !== undefined || lake.endpoint !== undefined)) setPath(raw, ['lake', 'kind'], 's3');
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(raw, path.split('.'), value);
  }
  if (problems.length > 0) throw new ConfigError(problems, describeSource(options.file));
  return validateConfig(raw, describeSource(options.file));
}

export function validateConfig(raw: unknown, source = 'configuration'): KotsConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue): string[] => {
    const path = issue.path.join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.length ? `${issue.path.join('.')}.` : '';
      const known = knownKeysAt(issue.path.map(String));
      return issue.keys.map((k) => {
        const guess = closest(k, known);
        return `${at}${k}: unknown setting${guess ? `; did you mean ${at}${guess}?` : ' (see config/kots.example.yaml)'}`;
      });
    }
    return [`${path}: ${issue.message}`];
  });
  throw new ConfigError(problems, source);
}

/** The setting and section names one level below `path`, from the schema. */
function knownKeysAt(path: string[]): string[] {
  const names = new Set<string>();
  for (const leaf of configLeaves(configSchema)) {
    const next = leaf.path[path.length];
    if (next !== undefined && path.every((p, i) => leaf.path[i] === p)) names.add(next);
  }
  return [...names];
}

/** The known name nearest to a mistyped one, when it is near enough to be a typo (or differs only in case). */
export function closest(typed: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const distance = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(typed.length / 3)) ? best : undefined;
}

/** Levenshtein distance, one row at a time (row i holds the distances from a's first i characters to each prefix of b). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function describeSource(file?: string): string {
  return file ? `${file} and KOTS_* environment` : 'defaults and KOTS_* environment';
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KotsError('CONFIG_FILE_UNREADABLE', `cannot read config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const value: unknown = parseYaml(text) ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(['(root): expected a YAML mapping of sections'], file);
    // A section whose settings are all commented out parses as null: treat it as empty.
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, v ?? {}]));
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0] ? ` at line ${error.linePos[0].line}, column ${error.linePos[0].col}` : '';
      throw new ConfigError([`(file)${where}: ${error.message.split('\n')[0]}`], file);
    }
    throw error;
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  const last = path.at(-1);
  if (last === undefined) throw new Error('setPath: a setting path cannot be empty');
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[last] = value;
}
