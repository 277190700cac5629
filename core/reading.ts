/**
 * The reading contract v1 (docs/design.md, "The reading (v1)"). Every stage imports this one
 * schema: the agent builds readings with it, the bridge validates with it, the
 * consumer and the lake flatten what it guarantees.
 */
import { z } from 'zod';
import { DEVICE_ID_PATTERN, SLUG_PATTERN } from './topics.js';

export const READING_VERSION = 1;
/** Readings are small; anything larger is hostile or broken. */
export const MAX_READING_BYTES = 16 * 1024;

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
// Control and bidi-override characters let a name spoof what a log or dashboard shows.
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/;

const LONE_SURROGATE = /\p{Cs}/u;

const safeText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !UNSAFE_TEXT.test(s), 'contains control or bidirectional-override characters')
    // A lone surrogate (a JSON "\ud800" escape) is no character at all; it turns into U+FFFD wherever it is written out.
    .refine((s) => !LONE_SURROGATE.test(s), 'contains a lone UTF-16 surrogate');

const finite = () => z.number().finite();

export const SOURCES = ['openweather', 'sensors', 'simulated'] as const;
export type ReadingSource = (typeof SOURCES)[number];

/** OpenWeather's "current weather" object, standard units (Kelvin, m/s, hPa, %). */
export const currentWeatherSchema = z.object({
  coord: z.object({ lon: finite().min(-180).max(180), lat: finite().min(-90).max(90) }).optional(),
  weather: z
    .array(
      z.object({
        id: z.number().int().min(100).max(999),
        main: safeText(40),
        description: safeText(120),
        icon: z.string().regex(/^[0-9]{2}[dn]$/),
      }),
    )
    .max(8)
    .default([]),
  base: z.string().max(40).optional(),
  main: z.object({
    temp: finite().min(100).max(400).optional(),
    feels_like: finite().min(100).max(400).optional(),
    temp_min: finite().min(100).max(400).optional(),
    temp_max: finite().min(100).max(400).optional(),
    pressure: finite().min(0).max(2000).optional(),
    humidity: finite().min(0).max(100).optional(),
    sea_level: finite().min(0).max(2000).optional(),
    grnd_level: finite().min(0).max(2000).optional(),
  }),
  visibility: finite().min(0).max(100_000).optional(),
  wind: z
    .object({ speed: finite().min(0).max(150), deg: finite().min(0).max(360).optional(), gust: finite().min(0).max(200).optional() })
    .optional(),
  clouds: z.object({ all: finite().min(0).max(100) }).optional(),
  rain: z.object({ '1h': finite().min(0).optional(), '3h': finite().min(0).optional() }).optional(),
  snow: z.object({ '1h': finite().min(0).optional(), '3h': finite().min(0).optional() }).optional(),
  dt: z.number().int().nonnegative().optional(),
  sys: z
    .object({
      country: z.string().max(8).optional(),
      sunrise: z.number().int().nonnegative().optional(),
      sunset: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** Offset of the city's local time from UTC, in seconds (OpenWeather's field). */
  timezone: z.number().int().min(-14 * 3600).max(14 * 3600).default(0),
  name: safeText(100).optional(),
});

export const readingSchema = z.object({
  v: z.literal(READING_VERSION),
  id: z.string().refine((s) => UUID_V7.test(s) || ULID.test(s), 'must be a UUIDv7 or a ULID'),
  device_id: z.string().regex(DEVICE_ID_PATTERN, 'must be lower-case a-z, 0-9, "_" or "-", at most 64 characters'),
  city: z.object({
    slug: z.string().max(64).regex(SLUG_PATTERN, 'must be a slug (a-z, 0-9 and "-")'),
    name: safeText(100),
  }),
  source: z.enum(SOURCES),
  seq: z.number().int().nonnegative(),
  observed_at: z.iso.datetime({ offset: true }),
  weather: currentWeatherSchema,
});

export type Reading = z.infer<typeof readingSchema>;
export type ReadingInput = z.input<typeof readingSchema>;
export type CurrentWeather = z.infer<typeof currentWeatherSchema>;

export type ReadingVerdict =
  | { ok: true; reading: Reading }
  | { ok: false; reason: string };

/**
 * Decides whether bytes are a valid v1 reading. Never throws: a bad reading is
 * a value to route aside (dead-letter), not an exception that stops a stage.
 */
export function parseReading(bytes: Uint8Array | string): ReadingVerdict {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_READING_BYTES) return { ok: false, reason: `too large: ${size} bytes (limit ${MAX_READING_BYTES})` };
  let text: string;
  try {
    text = typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'not UTF-8 text' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  return checkReading(value);
}

export function checkReading(value: unknown): ReadingVerdict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const version = (value as { v?: unknown }).v;
  if (version !== READING_VERSION) {
    return { ok: false, reason: `unsupported reading version ${JSON.stringify(version) ?? 'undefined'} (this kots reads v${READING_VERSION})` };
  }
  const result = readingSchema.safeParse(value);
  if (result.success) return { ok: true, reading: result.data };
  const reason = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** The main weather condition ("Clear", "Rain", ...), or undefined for sensors that do not classify. */
export function weatherMain(reading: Reading): string | undefined {
  return reading.weather.weather[0]?.main;
}
