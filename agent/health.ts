/**
 * The periodic health message on `kots/v1/<city>/<device>/health`: spool
 * depth, drops, the last error, versions, the settings in force and what the
 * source has to say (sensors gone, host temperatures). QoS 0 and not spooled:
 * health is about now, an old one is worth nothing.
 */
import type { SourceHealth } from './sources/source.js';
import type { SettingsInForce } from './settings.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentStats {
  taken: number;
  acked: number;
  spooled: number;
  dropped: number;
  rejected: number;
  lastError?: string;
}

export interface HealthMessage {
  v: 1;
  device_id: string;
  at: string;
  connected: boolean;
  spool: { depth: number; bytes: number; dropped: number };
  readings: { taken: number; acked: number; rejected: number };
  last_error?: string;
  versions: { agent: string; node: string };
  settings: SettingsInForce;
  source: SourceHealth & { kind: string };
}

export function healthMessage(input: {
  deviceId: string;
  at: Date;
  connected: boolean;
  stats: AgentStats;
  spoolBytes: number;
  settings: SettingsInForce;
  sourceKind: string;
  source: SourceHealth;
}): HealthMessage {
  const { stats } = input;
  return {
    v: 1,
    device_id: input.deviceId,
    at: input.at.toISOString(),
    connected: input.connected,
    spool: { depth: stats.spooled, bytes: input.spoolBytes, dropped: stats.dropped },
    readings: { taken: stats.taken, acked: stats.acked, rejected: stats.rejected },
    ...(stats.lastError ? { last_error: stats.lastError } : {}),
    versions: { agent: AGENT_VERSION, node: process.versions.node },
    settings: input.settings,
    source: { kind: input.sourceKind, ...input.source },
  };
}
