import { configLeaves, envName } from './leaves.js';
import { ENV_ALIASES } from './load.js';
import { configSchema } from './schema.js';

/** The configuration reference, generated from the schema (`kots config docs`). */
export function configReference(): string {
  const aliasOf = new Map(Object.entries(ENV_ALIASES).map(([alias, path]) => [path, alias]));
  const lines = ['| setting | environment | default | meaning |', '|---|---|---|---|'];
  for (const leaf of configLeaves(configSchema)) {
    const path = leaf.path.join('.');
    const env = [envName(leaf.path), aliasOf.get(path)].filter(Boolean).join(', ');
    const def = leaf.defaultValue === undefined ? '' : `\`${JSON.stringify(leaf.defaultValue)}\``;
    const choices = leaf.choices ? ` One of: ${leaf.choices.map((c) => `\`${String(c)}\``).join(', ')}.` : '';
    const secret = leaf.secret ? ' **Secret**: masked by `kots config show`; prefer the environment or Vault.' : '';
    lines.push(`| \`${path}\` | \`${env}\` | ${def} | ${leaf.description}${choices}${secret} |`);
  }
  return lines.join('\n');
}

/**
 * The documented example file (`kots config example` writes config/kots.example.yaml):
 * every setting with its meaning, its environment variable and its default.
 */
export function configExample(): string {
  const out = [
    '# kots configuration: every setting, with its default.',
    '# Environment variables (named on each line) override this file; `kots config check FILE` validates it.',
    '# Generated from the schema by `kots config example`; do not edit by hand.',
  ];
  let open: string[] = [];
  for (const leaf of configLeaves(configSchema)) {
    const key = leaf.path.at(-1);
    if (key === undefined) continue; // only a schema that is not an object has a leaf without a name
    const parents = leaf.path.slice(0, -1);
    let common = 0;
    while (common < open.length && open[common] === parents[common]) common++;
    for (let depth = common; depth < parents.length; depth++) {
      if (depth === 0) out.push('');
      const optional = leaf.defaultValue === undefined && depth > 0;
      out.push(`${'  '.repeat(depth)}${optional ? '# ' : ''}${parents[depth]}:`);
    }
    open = parents;
    const indent = '  '.repeat(parents.length);
    out.push(`${indent}# ${leaf.description}${leaf.secret ? ' [secret]' : ''} (${envName(leaf.path)})`);
    if (leaf.defaultValue === undefined) out.push(`${indent}# ${key}:`);
    else out.push(`${indent}${key}: ${JSON.stringify(leaf.defaultValue)}`);
  }
  return `${out.join('\n')}\n`;
}
