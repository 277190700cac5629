/**
 * Walks the config schema to list its settings (path, type, default, doc), so
 * environment variables and the reference documentation come from the schema
 * itself and can never drift from it.
 */
import { z } from 'zod';

export type LeafKind = 'string' | 'number' | 'boolean' | 'string[]' | 'json';

export interface ConfigLeaf {
  path: string[];
  kind: LeafKind;
  description: string;
  defaultValue: unknown;
  choices?: readonly unknown[];
  /** Marked `.meta({ secret: true })` in the schema: masked wherever settings are shown. */
  secret: boolean;
}

interface ZodInternals {
  _zod: {
    def: {
      type: string;
      innerType?: z.ZodType;
      in?: z.ZodType;
      element?: z.ZodType;
      shape?: Record<string, z.ZodType>;
      defaultValue?: unknown;
      entries?: Record<string, unknown>;
      values?: unknown[];
      options?: z.ZodType[];
    };
  };
  description?: string;
}

function def(schema: z.ZodType) {
  return (schema as unknown as ZodInternals)._zod.def;
}

/** The schema a wrapper (default, optional, pipe, array) holds. zod 4 always sets it: a missing one means zod's internals changed. */
function wrapped(inner: z.ZodType | undefined, wrapper: string): z.ZodType {
  if (!inner) throw new Error(`config schema walk: a zod ${wrapper} without its inner schema (did zod's internals change?)`);
  return inner;
}

function describe(schema: z.ZodType): string | undefined {
  return (schema as unknown as ZodInternals).description;
}

/** The schema's own mark, given with `.meta({ secret: true })` (see common.ts `secret`). */
function markedSecret(schema: z.ZodType): boolean {
  return z.globalRegistry.get(schema)?.secret === true;
}

export function configLeaves(schema: z.ZodType, path: string[] = []): ConfigLeaf[] {
  let current = schema;
  let description = describe(current);
  let defaultValue: unknown;
  let secret = markedSecret(current);
  for (;;) {
    const d = def(current);
    if (d.type === 'default' || d.type === 'prefault') {
      defaultValue ??= d.defaultValue;
      current = wrapped(d.innerType, d.type);
    } else if (d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') {
      current = wrapped(d.innerType, d.type);
    } else if (d.type === 'pipe') {
      current = wrapped(d.in, d.type);
    } else break;
    description ??= describe(current);
    secret ||= markedSecret(current);
  }
  const d = def(current);
  if (d.type === 'object' && d.shape) {
    return Object.entries(d.shape).flatMap(([key, child]) => configLeaves(child, [...path, key]));
  }
  const leaf = (kind: LeafKind, choices?: readonly unknown[]): ConfigLeaf[] => [
    { path, kind, description: description ?? '', defaultValue, secret, ...(choices ? { choices } : {}) },
  ];
  switch (d.type) {
    case 'string':
      return leaf('string');
    case 'number':
      return leaf('number');
    case 'boolean':
      return leaf('boolean');
    case 'enum':
      return leaf('string', Object.values(d.entries ?? {}));
    case 'union': {
      const literals = (d.options ?? [])
        .map((o) => def(o))
        .filter((o) => o.type === 'literal')
        .flatMap((o) => o.values ?? []);
      return leaf(literals.every((v) => typeof v === 'number') ? 'number' : 'string', literals);
    }
    case 'array':
      return leaf(def(wrapped(d.element, d.type)).type === 'string' ? 'string[]' : 'json');
    default:
      return leaf('json');
  }
}

/** kafka.brokers -> KOTS_KAFKA_BROKERS; agent.intervalMinSeconds -> KOTS_AGENT_INTERVAL_MIN_SECONDS. */
export function envName(path: readonly string[]): string {
  return ['KOTS', ...path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2'))].join('_').toUpperCase();
}

/** A setting's value converted from text, or why it cannot be. */
export type Converted = { ok: true; value: unknown } | { ok: false; reason: string };

/** A setting's value from text, as environment variables give it ("a,b" for lists, JSON for objects). */
export function convertSettingText(leaf: ConfigLeaf, text: string): Converted {
  switch (leaf.kind) {
    case 'number': {
      const value = Number(text);
      return Number.isFinite(value) ? { ok: true, value } : { ok: false, reason: 'expected a number' };
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return { ok: true, value: true };
      if (/^(false|0|no|off)$/i.test(text)) return { ok: true, value: false };
      return { ok: false, reason: 'expected true or false' };
    case 'string[]':
      return {
        ok: true,
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case 'json':
      return parseJsonSetting(text);
    default:
      return { ok: true, value: text };
  }
}

export function parseJsonSetting(text: string): Converted {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'expected JSON' };
  }
}
