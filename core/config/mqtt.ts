import { z } from 'zod';
import { secret } from './common.js';

export const mqttSection = z
  .object({
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a URL such as mqtt://host:1883 or mqtts://host:8883')
      .default('mqtt://127.0.0.1:1883')
      .describe('Broker the agent (or the bridge in external mode) connects to.'),
    username: z.string().optional().describe('MQTT username (devices: their device id).'),
    password: secret.optional().describe('MQTT password (devices: the credential issued by `kots fleet provision`).'),
    caFile: z.string().optional().describe("CA certificate (PEM) that signed the broker's certificate."),
    certFile: z.string().optional().describe('Client certificate (PEM), optional.'),
    keyFile: z.string().optional().describe('Client key (PEM), optional.'),
    protocolVersion: z
      .union([z.literal(4), z.literal(5)])
      .default(4)
      .describe('MQTT 3.1.1 (4) or 5. The embedded aedes broker speaks 3.1.1; use 5 with an external broker that supports it.'),
    keepaliveSeconds: z.number().int().min(0).default(30).describe('MQTT keep-alive.'),
  })
  .strict();
