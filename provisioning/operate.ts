/**
 * `kots fleet status` and `kots fleet config`: the central site talks to the
 * fleet through the broker as the registry's operator user (fleet.operatorUser,
 * created by provisioning; its secret comes from the secret store).
 *
 * status: `status` topics are retained (online/offline at once); `health` (QoS 0,
 * not retained, every healthIntervalSeconds and at each connect) and `weather`
 * are live, so they fill in while status listens (fleet.statusWaitSeconds).
 * config: publishes the retained `config` topic the agent applies without a restart.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { remoteSettingsSchema } from '../agent/settings.js';
import { KotsError, errorMessage } from '../core/errors.js';
import { deviceTopic, parseDeviceTopic, MQTT_TOPIC_ROOT } from '../core/topics.js';
import type { FleetContext } from './provision.js';
import { openSecretStore } from './secret-store.js';
import { lockState, requireDevice, requireState, writeState, type FleetState } from './state.js';

async function connectOperator(ctx: FleetContext, state: FleetState): Promise<MqttClient> {
  const secrets = await openSecretStore(ctx.config);
  const password = await secrets.get({ kind: 'operator' });
  if (!password)
    throw new KotsError(
      'SECRET_MISSING',
      `no credential for the operator user ${ctx.config.fleet.operatorUser} in ${secrets.description}: run \`kots fleet provision\` once to create it`,
    );
  const url = ctx.config.fleet.brokerUrl ?? state.broker.url;
  try {
    return await mqtt.connectAsync(url, {
      clientId: `${ctx.config.fleet.operatorUser}-${process.pid}-${Date.now().toString(36)}`,
      username: ctx.config.fleet.operatorUser,
      password,
      protocolVersion: state.broker.protocolVersion,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      clean: true,
      ...(state.broker.caFile ? { ca: readFileSync(state.broker.caFile) } : {}),
    });
  } catch (error) {
    throw new KotsError(
      'AUTH_FAILED',
      `cannot connect to the broker ${url} as ${ctx.config.fleet.operatorUser}: ${errorMessage(error)} (is the bridge running with the fleet's registry? set fleet.brokerUrl if the central site reaches it at another address)`,
      { retryable: true, cause: error },
    );
  }
}

export interface DeviceStatus {
  id: string;
  city: string;
  target: string;
  /** From the retained status topic; `revoked` from the fleet state; `unknown`: nothing retained yet. */
  state: 'online' | 'offline' | 'revoked' | 'unknown';
  lastReading?: string;
  lastHealth?: string;
  agentVersion?: string;
  spoolDepth?: number;
  acked?: number;
  lastError?: string;
  settingsOrigin?: string;
}

export async function fleetStatus(ctx: FleetContext, waitSeconds = ctx.config.fleet.statusWaitSeconds): Promise<DeviceStatus[]> {
  const state = requireState(ctx.config.fleet.stateDir);
  const rows = new Map<string, DeviceStatus>();
  for (const device of Object.values(state.devices)) {
    rows.set(device.id, { id: device.id, city: device.city.slug, target: device.target, state: device.revoked ? 'revoked' : 'unknown' });
  }
  const client = await connectOperator(ctx, state);
  try {
    client.on('message', (topic, payload) => {
      const parsed = parseDeviceTopic(topic);
      const row = parsed && rows.get(parsed.deviceId);
      if (!row || row.city !== parsed.city) return;
      const text = payload.toString('utf8');
      if (parsed.kind === 'status') {
        if (row.state !== 'revoked' && (text === 'online' || text === 'offline')) row.state = text;
        return;
      }
      try {
        const message = JSON.parse(text) as Record<string, unknown>;
        if (parsed.kind === 'weather' && typeof message.observed_at === 'string') {
          if (!row.lastReading || message.observed_at > row.lastReading) row.lastReading = message.observed_at;
        } else if (parsed.kind === 'health') {
          const health = message as {
            at?: string;
            spool?: { depth?: number };
            versions?: { agent?: string };
            readings?: { acked?: number };
            last_error?: string;
            settings?: { origin?: string };
          };
          row.lastHealth = health.at;
          if (health.versions?.agent) row.agentVersion = health.versions.agent;
          if (typeof health.spool?.depth === 'number') row.spoolDepth = health.spool.depth;
          if (typeof health.readings?.acked === 'number') row.acked = health.readings.acked;
          if (health.settings?.origin) row.settingsOrigin = health.settings.origin;
          if (health.last_error) row.lastError = health.last_error;
          else delete row.lastError;
        }
      } catch {
        // not JSON: the bridge would have refused it anyway; nothing to show
      }
    });
    const granted = await client.subscribeAsync(
      ['status', 'health', 'weather'].map((kind) => `${MQTT_TOPIC_ROOT}/+/+/${kind}`),
      { qos: 0 },
    );
    const refused = granted.filter((g) => g.qos === 128);
    if (refused.length)
      throw new KotsError(
        'NOT_AUTHORIZED',
        `the broker refused ${refused.map((g) => g.topic).join(', ')} to ${ctx.config.fleet.operatorUser} (it must be an operator user in the registry)`,
      );
    await new Promise((r) => setTimeout(r, waitSeconds * 1000));
  } finally {
    await client.endAsync().catch(() => undefined);
  }
  return [...rows.values()].sort((a, b) => a.city.localeCompare(b.city) || a.id.localeCompare(b.id));
}

/** `key=value` pairs into remote settings; `key=` (empty) removes the key. */
export function parseSettingAssignments(assignments: string[]): Record<string, number | null> {
  const known = Object.keys(remoteSettingsSchema.shape);
  const result: Record<string, number | null> = {};
  for (const assignment of assignments) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(assignment);
    if (!match) throw new KotsError('USAGE', `"${assignment}": expected key=value (keys: ${known.join(', ')})`);
    const [, key, text] = match as unknown as [string, string, string];
    if (!known.includes(key)) throw new KotsError('USAGE', `"${key}" is not a remote setting (keys: ${known.join(', ')})`);
    if (text === '') {
      result[key] = null;
      continue;
    }
    const value = Number(text);
    if (!Number.isFinite(value)) throw new KotsError('USAGE', `${key}=${text}: expected a number`);
    result[key] = value;
  }
  return result;
}

/** Publishes the device's retained remote settings (merged with what was set before); returns what is now in force remotely. */
export async function setRemoteSettings(
  ctx: FleetContext,
  id: string,
  assignments: string[],
  options: { clear?: boolean } = {},
): Promise<Record<string, number>> {
  const changes = parseSettingAssignments(assignments);
  const stateDir = ctx.config.fleet.stateDir;
  const unlock = lockState(stateDir);
  try {
    const state = requireState(stateDir);
    const device = requireDevice(state, id);
    if (device.revoked) throw new KotsError('USAGE', `device ${id} is revoked`);
    const merged: Record<string, number> = options.clear ? {} : { ...(device.remoteSettings ?? {}) };
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) delete merged[key];
      else merged[key] = value;
    }
    const checked = remoteSettingsSchema.safeParse(merged);
    if (!checked.success)
      throw new KotsError('USAGE', `remote settings refused: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const min = merged.intervalMinSeconds ?? device.intervalMinSeconds;
    const max = merged.intervalMaxSeconds ?? device.intervalMaxSeconds;
    if (min > max) throw new KotsError('USAGE', `intervalMinSeconds ${min} would exceed intervalMaxSeconds ${max}`);
    const client = await connectOperator(ctx, state);
    try {
      // An empty retained message clears the topic: the agent goes back to its config file's values.
      const payload = Object.keys(merged).length === 0 ? '' : JSON.stringify(merged);
      await client.publishAsync(deviceTopic(device.city.slug, id, 'config'), payload, { qos: 1, retain: true });
    } finally {
      await client.endAsync().catch(() => undefined);
    }
    const { remoteSettings: _previous, ...rest } = device;
    state.devices[id] = Object.keys(merged).length ? { ...rest, remoteSettings: merged } : rest;
    writeState(stateDir, state);
    ctx.logger.info({ device: id, settings: merged }, 'remote settings published');
    return merged;
  } finally {
    unlock();
  }
}
