/**
 * What one device gets, as a list of files under its root file system, the
 * same for every delivery (a .tar.gz bundle, SSH, an SD card):
 *
 *   /usr/local/bin/kots-agent                       the single binary for its target (755): not in the
 *                                                   device's tree but in its target's payload (payload.ts),
 *                                                   one copy per target and version, checked by sha256
 *   /etc/kots/agent.yaml                            agent config, no secrets (644)
 *   /etc/kots/agent.env                             KOTS_MQTT_PASSWORD (+ the OpenWeather key) (600, read by systemd as root)
 *   /etc/kots/ca.pem                                the broker's CA, when the manifest names one
 *   /etc/systemd/system/kots-agent.service          User=kots, Restart=always, StateDirectory=kots-agent
 *   /etc/systemd/system/kots-agent-setup.service    oneshot before it: creates the user kots (first boot of an SD card)
 *   /usr/local/lib/kots-agent/setup-user.sh         what that oneshot runs (also run by install.sh)
 *   /etc/kots/device.json                           id, city, target, agent version (no secrets)
 *
 * plus the enabling symlinks in /etc/systemd/system/multi-user.target.wants/.
 */
import { stringify as stringifyYaml } from 'yaml';
import { AGENT_VERSION } from '../agent/health.js';
import type { DeviceSpec, FleetPlan } from './manifest.js';

export const AGENT_USER = 'kots';
export const UNIT = 'kots-agent.service';
export const SETUP_UNIT = 'kots-agent-setup.service';
export const STATE_DIRECTORY = 'kots-agent';
export const SPOOL_DIR = `/var/lib/${STATE_DIRECTORY}/spool`;
export const PATHS = {
  binary: '/usr/local/bin/kots-agent',
  config: '/etc/kots/agent.yaml',
  env: '/etc/kots/agent.env',
  ca: '/etc/kots/ca.pem',
  device: '/etc/kots/device.json',
  unit: `/etc/systemd/system/${UNIT}`,
  setupUnit: `/etc/systemd/system/${SETUP_UNIT}`,
  setupScript: '/usr/local/lib/kots-agent/setup-user.sh',
  wants: '/etc/systemd/system/multi-user.target.wants',
} as const;

export interface DeviceFile {
  /** Absolute path on the device. */
  path: string;
  mode: number;
  /** Content, or a local file to copy (the agent binary, the CA). */
  content: Buffer | { file: string };
  secret?: boolean;
}

export interface DeviceLink {
  path: string;
  target: string;
}

export interface DeviceTree {
  files: DeviceFile[];
  links: DeviceLink[];
}

export interface DeviceSecrets {
  credential: string;
  openweatherApiKey?: string;
}

export function agentConfigYaml(device: DeviceSpec, broker: FleetPlan['broker']): string {
  const config = {
    log: { level: 'info' },
    mqtt: {
      url: broker.url,
      username: device.id,
      ...(broker.caFile ? { caFile: PATHS.ca } : {}),
      protocolVersion: broker.protocolVersion,
    },
    agent: {
      deviceId: device.id,
      city: device.city,
      source: device.source,
      intervalMinSeconds: device.intervalMinSeconds,
      intervalMaxSeconds: device.intervalMaxSeconds,
      healthIntervalSeconds: device.healthIntervalSeconds,
      spoolDir: SPOOL_DIR,
      ...(device.source === 'openweather' ? { openweatherQuery: device.openweatherQuery } : {}),
    },
  };
  return `# kots agent config of device ${device.id} (${device.city.name}), written by \`kots fleet provision\`.\n# The credential is not here: systemd passes it from ${PATHS.env} (mode 600) as KOTS_MQTT_PASSWORD.\n${stringifyYaml(config)}`;
}

/** systemd's EnvironmentFile syntax; values are URL-safe base64 and API keys, quoted anyway. */
export function agentEnvFile(secrets: DeviceSecrets): string {
  const quote = (value: string) => `"${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"`;
  const lines = [
    '# kots agent secrets (mode 600, root): read by systemd, passed to the agent as environment',
    `KOTS_MQTT_PASSWORD=${quote(secrets.credential)}`,
  ];
  if (secrets.openweatherApiKey) lines.push(`KOTS_AGENT_OPENWEATHER_API_KEY=${quote(secrets.openweatherApiKey)}`);
  return `${lines.join('\n')}\n`;
}

export function agentUnit(device: DeviceSpec): string {
  return `# kots agent of device ${device.id} (${device.city.name}), written by \`kots fleet provision\`.
[Unit]
Description=kots weather agent (device ${device.id}, ${device.city.name})
Documentation=https://github.com/kots/kots/tree/main/provisioning
Wants=network-online.target
After=network-online.target ${SETUP_UNIT}
Requires=${SETUP_UNIT}
# Restart=always means always: never give up after a burst of failures (a broker down for a day).
StartLimitIntervalSec=0

[Service]
Type=simple
User=${AGENT_USER}
Group=${AGENT_USER}
# Read by systemd as root before dropping to the user: the credential file stays root-only (600).
EnvironmentFile=${PATHS.env}
ExecStart=${PATHS.binary} --config ${PATHS.config}
Restart=always
RestartSec=5
# /var/lib/${STATE_DIRECTORY}, owned by ${AGENT_USER}: the spool (${SPOOL_DIR}) survives reboots and upgrades.
StateDirectory=${STATE_DIRECTORY}
StateDirectoryMode=0750
WorkingDirectory=/var/lib/${STATE_DIRECTORY}
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectControlGroups=yes
ProtectKernelModules=yes
RestrictSUIDSGID=yes
LockPersonality=yes

[Install]
WantedBy=multi-user.target
`;
}

export function setupUnit(): string {
  return `# Creates the unprivileged user of ${UNIT} (needed on a device whose SD card was written by \`kots fleet provision --sd\`).
[Unit]
Description=kots agent: create the system user ${AGENT_USER}
Before=${UNIT}

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${PATHS.setupScript}

[Install]
WantedBy=multi-user.target
`;
}

export function setupUserScript(): string {
  return `#!/bin/sh
# Creates the system user ${AGENT_USER} for the kots agent when it is missing (idempotent).
set -eu
if getent passwd ${AGENT_USER} >/dev/null 2>&1; then exit 0; fi
if command -v useradd >/dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/${STATE_DIRECTORY} --no-create-home --shell /usr/sbin/nologin ${AGENT_USER}
elif command -v adduser >/dev/null 2>&1; then
  adduser -S -D -H -h /var/lib/${STATE_DIRECTORY} -s /sbin/nologin ${AGENT_USER}
else
  echo "kots-agent: neither useradd nor adduser found; create the system user ${AGENT_USER} by hand" >&2
  exit 1
fi
echo "kots-agent: created the system user ${AGENT_USER}"
`;
}

export function deviceInfo(device: DeviceSpec, fleet: string, payload: string): string {
  return `${JSON.stringify({ fleet, id: device.id, city: device.city, target: device.target, source: device.source, agentVersion: AGENT_VERSION, payload }, null, 2)}\n`;
}

/** The device's own files (no binary: that comes from its target's payload, named here for device.json). */
export function deviceTree(input: { device: DeviceSpec; plan: Pick<FleetPlan, 'name' | 'broker'>; payload: string; secrets: DeviceSecrets }): DeviceTree {
  const { device, plan, payload, secrets } = input;
  const files: DeviceFile[] = [
    { path: PATHS.config, mode: 0o644, content: Buffer.from(agentConfigYaml(device, plan.broker)) },
    { path: PATHS.env, mode: 0o600, content: Buffer.from(agentEnvFile(secrets)), secret: true },
    { path: PATHS.device, mode: 0o644, content: Buffer.from(deviceInfo(device, plan.name, payload)) },
    { path: PATHS.unit, mode: 0o644, content: Buffer.from(agentUnit(device)) },
    { path: PATHS.setupUnit, mode: 0o644, content: Buffer.from(setupUnit()) },
    { path: PATHS.setupScript, mode: 0o755, content: Buffer.from(setupUserScript()) },
  ];
  if (plan.broker.caFile) files.push({ path: PATHS.ca, mode: 0o644, content: { file: plan.broker.caFile } });
  const links: DeviceLink[] = [
    { path: `${PATHS.wants}/${UNIT}`, target: PATHS.unit },
    { path: `${PATHS.wants}/${SETUP_UNIT}`, target: PATHS.setupUnit },
  ];
  return { files, links };
}
