/**
 * Turns a value read from Vault into the type of its setting. Values written
 * with `vault kv put` are strings; they are read like environment variables
 * ("a,b" for lists, JSON for objects). JSON values already typed pass as they are.
 */
import type { ConfigLeaf } from '../config/index.js';

export type Converted = { ok: true; value: unknown } | { ok: false; reason: string };

export function convertSettingValue(leaf: ConfigLeaf, value: unknown): Converted {
  if (typeof value !== 'string') return { ok: true, value };
  switch (leaf.kind) {
    case 'number': {
      const number = Number(value);
      return value.trim() !== '' && Number.isFinite(number) ? { ok: true, value: number } : { ok: false, reason: 'expected a number' };
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(value)) return { ok: true, value: true };
      if (/^(false|0|no|off)$/i.test(value)) return { ok: true, value: false };
      return { ok: false, reason: 'expected true or false' };
    case 'string[]': {
      const text = value.trim();
      if (text.startsWith('[')) return parseJson(text);
      return {
        ok: true,
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    }
    case 'json':
      return parseJson(value);
    default:
      return { ok: true, value };
  }
}

function parseJson(text: string): Converted {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'expected JSON' };
  }
}
