/**
 * Settings a device applies at run time from its retained `config` topic,
 * without a restart. The config file gives the starting values; a retained
 * message overrides them; an empty retained message (cleared) restores them.
 * A bad message is refused as a whole and reported, never half-applied.
 */
import { z } from 'zod';
import type { KotsConfig } from '../core/config/index.js';

export const remoteSettingsSchema = z
  .object({
    intervalMinSeconds: z.number().positive().max(86_400).optional(),
    intervalMaxSeconds: z.number().positive().max(86_400).optional(),
    healthIntervalSeconds: z.number().positive().max(86_400).optional(),
    openweatherCallsPerMinute: z.number().int().positive().max(100_000).optional(),
  })
  .strict();

export type RemoteSettings = z.infer<typeof remoteSettingsSchema>;

export interface SettingsInForce {
  intervalMinSeconds: number;
  intervalMaxSeconds: number;
  healthIntervalSeconds: number;
  openweatherCallsPerMinute: number;
  /** Where they came from: the config file alone, or with the remote message applied. */
  origin: 'config' | 'remote';
}

export function settingsFromConfig(agent: KotsConfig['agent']): SettingsInForce {
  return {
    intervalMinSeconds: agent.intervalMinSeconds,
    intervalMaxSeconds: agent.intervalMaxSeconds,
    healthIntervalSeconds: agent.healthIntervalSeconds,
    openweatherCallsPerMinute: agent.openweatherCallsPerMinute,
    origin: 'config',
  };
}

export type SettingsVerdict = { ok: true; settings: SettingsInForce } | { ok: false; reason: string };

/** The settings that result from applying a config-topic payload over the file's settings. */
export function applyRemoteSettings(base: SettingsInForce, payload: Buffer): SettingsVerdict {
  if (payload.length === 0) return { ok: true, settings: { ...base, origin: 'config' } };
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `remote settings are not JSON: ${(error as Error).message}` };
  }
  const parsed = remoteSettingsSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, reason: `remote settings refused: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}` };
  }
  const merged: SettingsInForce = { ...base, ...definedOnly(parsed.data), origin: 'remote' };
  if (merged.intervalMinSeconds > merged.intervalMaxSeconds) {
    return {
      ok: false,
      reason: `remote settings refused: intervalMinSeconds ${merged.intervalMinSeconds} exceeds intervalMaxSeconds ${merged.intervalMaxSeconds}`,
    };
  }
  return { ok: true, settings: merged };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
