/**
 * `kots sql --file F --var name=value`: sets a DuckDB variable (getvariable('name'))
 * without editing the file. A `SET VARIABLE name = …;` the file makes for the same
 * name gives way to the one given here, so the analysis files keep their defaults.
 */
import { KotsError } from '../core/errors.js';

export interface SqlVariable {
  name: string;
  /** A SQL literal: a number as written, anything else as a quoted string. */
  literal: string;
}

/** Commander collector for repeated --var options. */
export function collectVariable(text: string, previous: SqlVariable[] = []): SqlVariable[] {
  const [, name, value] = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(text) ?? [];
  if (name === undefined || value === undefined) throw new KotsError('USAGE', `--var expects name=value (e.g. --var event_id=5), got "${text}"`);
  const literal = /^-?\d+(\.\d+)?$/.test(value) ? value : `'${value.replaceAll("'", "''")}'`;
  return [...previous.filter((v) => v.name !== name), { name, literal }];
}

export function applyVariables(sql: string, variables: readonly SqlVariable[]): string {
  if (variables.length === 0) return sql;
  let body = sql;
  for (const { name } of variables) {
    body = body.replace(new RegExp(`^\\s*SET\\s+VARIABLE\\s+${name}\\s*=[^;]*;[ \\t]*\\n?`, 'gim'), '');
  }
  return `${variables.map((v) => `SET VARIABLE ${v.name} = ${v.literal};`).join('\n')}\n${body}`;
}
