import { z } from 'zod';
import { SOURCES } from '../reading-sources.js';
import { DEVICE_ID_PATTERN, SLUG_PATTERN } from '../topics.js';
import { secret } from './common.js';

export const citySchema = z
  .object({
    name: z.string().min(1).describe('Display name, e.g. "Takamatsu".'),
    slug: z.string().regex(SLUG_PATTERN).optional().describe('Topic and lake key; derived from the name when absent.'),
    country: z.string().length(2).optional().describe('ISO 3166 country code, e.g. "JP".'),
    lat: z.number().min(-90).max(90).describe('Latitude in degrees.'),
    lon: z.number().min(-180).max(180).describe('Longitude in degrees.'),
    timezone: z
      .number()
      .int()
      .min(-14 * 3600)
      .max(14 * 3600)
      .optional()
      .describe('UTC offset in seconds; estimated from longitude when absent.'),
  })
  .strict();

export type CityConfig = z.infer<typeof citySchema>;

export const agentSection = z
  .object({
    deviceId: z
      .string()
      .regex(DEVICE_ID_PATTERN, 'expected a-z, 0-9, "_" or "-" (at most 64)')
      .optional()
      .describe("This device's id, also its MQTT client id and username. Required by `kots agent`."),
    city: citySchema.optional().describe('The city this device reports for. Required by `kots agent`.'),
    source: z.enum(SOURCES).default('simulated').describe('Where readings come from.'),
    intervalMinSeconds: z.number().positive().default(10).describe('Shortest wait between two readings.'),
    intervalMaxSeconds: z.number().positive().default(30).describe('Longest wait between two readings (uniformly random in between).'),
    spoolDir: z.string().default('./kots-spool').describe('Folder of the on-disk spool that keeps readings until the broker acknowledges them.'),
    spoolMaxBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024 * 1024)
      .describe('Spool size bound; the oldest readings are dropped (and counted) beyond it.'),
    seed: z.number().int().default(1).describe('Seed of the simulated source: same seed and clock, same readings.'),
    openweatherApiKey: secret.optional().describe('OpenWeather API key (source openweather). Prefer Vault or KOTS_AGENT_OPENWEATHER_API_KEY.'),
    openweatherBaseUrl: z.url().default('https://api.openweathermap.org').describe('OpenWeather API base URL.'),
    openweatherCallsPerMinute: z.number().int().positive().default(60).describe('Calls per minute allowed on the key (free tier: 60).'),
    sysfsRoot: z.string().default('/sys').describe('Root of sysfs for the sensors source.'),
    healthIntervalSeconds: z.number().positive().default(60).describe('How often the agent publishes its health message.'),
    maxInFlight: z
      .number()
      .int()
      .min(1)
      .max(1000)
      .default(400)
      .describe(
        "Readings sent to the broker and not yet acknowledged (PUBACK) at one time, lowered to the broker's receive maximum (MQTT 5); it bounds how fast a backlog drains (about this many per round trip to Kafka). 1 gives strict one-by-one delivery.",
      ),
    reconnectMinSeconds: z
      .number()
      .positive()
      .default(0.5)
      .describe('First wait before reconnecting to a lost broker; doubles per failed attempt (with jitter).'),
    reconnectMaxSeconds: z.number().positive().default(30).describe('Longest wait between reconnect attempts.'),
    openweatherQuery: z
      .enum(['coordinates', 'name'])
      .default('coordinates')
      .describe("Ask OpenWeather by the city's lat/lon (precise) or by its name and country (`q=Takamatsu,JP`)."),
    openweatherTimeoutSeconds: z.number().positive().default(10).describe('Timeout of one OpenWeather API call.'),
  })
  .strict()
  .refine((a) => a.intervalMinSeconds <= a.intervalMaxSeconds, {
    message: 'intervalMinSeconds must not exceed intervalMaxSeconds',
    path: ['intervalMinSeconds'],
  })
  .refine((a) => a.reconnectMinSeconds <= a.reconnectMaxSeconds, {
    message: 'reconnectMinSeconds must not exceed reconnectMaxSeconds',
    path: ['reconnectMinSeconds'],
  });
