import { z } from 'zod';
import { port, secret } from './common.js';

export const bridgeSection = z
  .object({
    host: z.string().default('127.0.0.1').describe('Address the embedded broker listens on; 0.0.0.0 accepts devices from the network.'),
    port: port.default(1883).describe('MQTT over TCP port (0 picks a free port).'),
    tlsPort: port.optional().describe('MQTT over TLS port; needs tlsCertFile and tlsKeyFile.'),
    tlsCertFile: z.string().optional().describe('Server certificate (PEM) for TLS.'),
    tlsKeyFile: z.string().optional().describe('Server key (PEM) for TLS.'),
    wsPort: port.optional().describe('MQTT over WebSocket port (for browser dashboards).'),
    registryFile: z
      .string()
      .optional()
      .describe(
        'Device registry (YAML with salted credential hashes, see bridge/README.md), watched and reloaded on change. Without a registry (file or Vault) the bridge accepts anonymous devices, and then starts only on a loopback host unless allowAnonymous is true.',
      ),
    allowAnonymous: z
      .boolean()
      .default(false)
      .describe(
        'Start without a registry on a host other than loopback, accepting anonymous devices from the network (logged as an error at start). Like Mosquitto 2, the bridge otherwise refuses (exit 2); for test benches only.',
      ),
    registryVaultPath: z
      .string()
      .optional()
      .describe(
        'Device registry in Vault KV v2 instead of a file: path inside vault.mount (e.g. kots/registry), key `registry` holding the YAML; polled every registryReloadSeconds. Needs vault.address and vault.token.',
      ),
    registryReloadSeconds: z
      .number()
      .positive()
      .default(2)
      .describe('How often the registry is polled for changes (the file is also watched, so edits usually apply at once).'),
    maxPayloadBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024)
      .describe('Largest accepted MQTT payload; a larger packet closes the connection.'),
    maxMessagesPerMinute: z
      .number()
      .int()
      .positive()
      .default(600)
      .describe(
        'Per-device steady publish rate; a device that has spent its burst is slowed to it (its PUBACKs wait). Its bucket fills at this rate also while the device is offline.',
      ),
    rateBurst: z
      .number()
      .int()
      .positive()
      .default(100_000)
      .describe(
        'Messages a device may send at full speed beyond its steady rate: sized to a full agent spool (64 MB of ~650-byte readings), so a device back from days offline drains its backlog at once; a client that sends continuously gets it once, then the steady rate.',
      ),
    receiveMaximum: z
      .number()
      .int()
      .min(1)
      .max(65_535)
      .default(400)
      .describe(
        "Unacknowledged QoS 1 publishes a device may have at the bridge (advertised to MQTT 5 clients in CONNACK; the agent's window follows it, and a deep window keeps a draining device's next readings queued while the previous ones go to Kafka); a client with more messages waiting for rate tokens is disconnected as abusive.",
      ),
    maxConnections: z.number().int().positive().default(20_000).describe('Connections beyond this are refused.'),
    metricsPort: port.optional().describe('HTTP port of /metrics (Prometheus) and /healthz (0 picks a free port; unset: no HTTP server).'),
    externalBrokerUrl: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a URL such as mqtt://host:1883')
      .optional()
      .describe('Subscribe to this existing broker (MQTT 5, shared subscription) instead of running its own MQTT server.'),
    externalUsername: z.string().optional().describe('Username of the bridge on the external broker.'),
    externalPassword: secret.optional().describe('Password of the bridge on the external broker.'),
    externalConnections: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe(
        'MQTT connections per bridge process in external mode; each holds one PUBACK at a time until Kafka acknowledges, so more connections = more readings in flight.',
      ),
    externalClientId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, ".", "_" or "-", at most 40')
      .optional()
      .describe(
        'Client id prefix of this bridge process on the external broker (connection i is <prefix>-<i>); default kots-bridge-<hostname>. Keep it stable across restarts so the broker re-delivers what was not acknowledged; give each process its own.',
      ),
    externalSessionExpirySeconds: z
      .number()
      .int()
      .min(0)
      .default(3600)
      .describe("How long the external broker keeps a stopped bridge's session (and the readings queued for it)."),
    shareGroup: z
      .string()
      .regex(/^[^/#+$]+$/, 'no "/", "#", "+" or "$"')
      .default('kots-bridge')
      .describe('Shared-subscription group used in external broker mode ($share/<group>/kots/v1/+/+/weather).'),
  })
  .strict()
  .refine((b) => b.registryFile === undefined || b.registryVaultPath === undefined, {
    message: 'give either registryFile or registryVaultPath, not both',
    path: ['registryVaultPath'],
  })
  .refine((b) => b.tlsPort === undefined || (b.tlsCertFile && b.tlsKeyFile), {
    message: 'tlsPort needs tlsCertFile and tlsKeyFile',
    path: ['tlsPort'],
  });
