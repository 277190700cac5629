import { z } from 'zod';
import { port, secret } from './common.js';

export const dashboardSection = z
  .object({
    port: port.optional().describe('Port of the dashboard (`kots dashboard`, and `kots up` serves it when set; 0 picks a free port).'),
    host: z.string().default('127.0.0.1').describe('Address the dashboard listens on; 0.0.0.0 serves it to the network (put TLS in front).'),
    brokerUrl: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a URL such as mqtt://host:1883')
      .optional()
      .describe('Broker the dashboard subscribes to for live readings, status and health (default: mqtt.url; `kots up` uses its embedded broker).'),
    mqttUsername: z.string().optional().describe('Read-only MQTT identity of the dashboard (a dashboard user of the bridge registry).'),
    mqttPassword: secret.optional().describe("Password of the dashboard's MQTT identity."),
    registryFile: z
      .string()
      .optional()
      .describe(
        "Registry whose users may log in; default the bridge's (bridge.registryFile or bridge.registryVaultPath). Set it apart only for `kots up` with anonymous simulated devices.",
      ),
    loginRoles: z
      .array(z.enum(['operator', 'dashboard']))
      .min(1)
      .default(['operator'])
      .describe('Registry user roles (bridge.registryFile users) allowed to log in to the page; operators only by default.'),
    sessionHours: z.number().positive().default(12).describe('How long a login lasts.'),
    secureCookie: z.boolean().default(false).describe('Mark the session cookie Secure; set it when the page is served over HTTPS (a TLS proxy in front).'),
    silentAfterSeconds: z.number().positive().default(120).describe('A device with no message for this long is shown as silent (warning colour).'),
    lakeRefreshSeconds: z
      .number()
      .positive()
      .default(10)
      .describe(
        'Charts and heat-map see files written to the lake since at most this long ago: the DuckDB views are rebuilt from a fresh listing of the lake when older.',
      ),
  })
  .strict();
