/**
 * Turns a value read from Vault into the type of its setting. Values written
 * with `vault kv put` are strings; they are read like environment variables
 * (convertSettingText: "a,b" for lists, JSON for objects), except that a blank
 * number is refused and a list may also be a JSON array. JSON values already
 * typed pass as they are.
 */
import { type ConfigLeaf, type Converted, convertSettingText, parseJsonSetting } from '../config/index.js';

export type { Converted };

export function convertSettingValue(leaf: ConfigLeaf, value: unknown): Converted {
  if (typeof value !== 'string') return { ok: true, value };
  const text = value.trim();
  if (leaf.kind === 'number' && text === '') return { ok: false, reason: 'expected a number' };
  if (leaf.kind === 'string[]' && text.startsWith('[')) return parseJsonSetting(text);
  return convertSettingText(leaf, value);
}
