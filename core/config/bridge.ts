import { z } from 'zod';
import { port } from './common.js';

export const bridgeSection = z
  .object({
    host: z.string().default('127.0.0.1').describe('Address the embedded broker listens on; 0.0.0.0 accepts devices from the network.'),
    port: port.default(1883).describe('MQTT over TCP port (0 picks a free port).'),
    tlsPort: port.optional().describe('MQTT over TLS port; needs tlsCertFile and tlsKeyFile.'),
    tlsCertFile: z.string().optional().describe('Server certificate (PEM) for TLS.'),
    tlsKeyFile: z.string().optional().describe('Server key (PEM) for TLS.'),
    wsPort: port.optional().describe('MQTT over WebSocket port (for browser dashboards).'),
    registryFile: z.string().optional().describe('Device registry (YAML with salted credential hashes); without it the bridge accepts anonymous devices.'),
    maxPayloadBytes: z.number().int().positive().default(16 * 1024).describe('Largest accepted MQTT payload.'),
    maxMessagesPerMinute: z.number().int().positive().default(600).describe('Per-device publish rate limit.'),
    maxConnections: z.number().int().positive().default(20_000).describe('Connections beyond this are refused.'),
    metricsPort: port.optional().describe('HTTP port of /metrics (Prometheus) and /healthz.'),
    externalBrokerUrl: z.string().optional().describe('Subscribe to this existing broker instead of embedding one.'),
    shareGroup: z.string().default('kots-bridge').describe('Shared-subscription group used in external broker mode.'),
  })
  .strict()
  .refine((b) => b.tlsPort === undefined || (b.tlsCertFile && b.tlsKeyFile), {
    message: 'tlsPort needs tlsCertFile and tlsKeyFile',
    path: ['tlsPort'],
  });
