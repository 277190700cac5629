/**
 * The reading contract v1 (docs/design.md, "The reading (v1)"). Every stage imports this one
 * schema: the agent builds readings with it, the bridge validates with it, the
 * consumer and the lake flatten what it guarantees.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { z } from 'zod';
import { SOURCES } from './reading-sources.js';
import { DEVICE_ID_PATTERN, SLUG_PATTERN } from './topics.js';

export const READING_VERSION = 1;
/** Readings are small; anything larger is hostile or broken. */
export const MAX_READING_BYTES = 16 * 1024;

// One pattern for both id forms, written without flags so the JSON Schema derived below means the same.
const READING_ID = /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-7[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|[0-7][0-9A-HJKMNP-TV-Z]{25})$/;
// Control and bidi-override characters let a name spoof what a log or dashboard shows.
// \p{Cc} is U+0000-U+001F and U+007F-U+009F.
const NO_UNSAFE_TEXT = /^[^\p{Cc}\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]*$/u;
// A lone surrogate (a JSON "\ud800" escape) is no character at all; it turns into U+FFFD wherever it is written out.
const NO_LONE_SURROGATE = /^\P{Cs}*$/u;

// Refinements are written as patterns (not `.refine`) so that the compiled validator below, derived from this
// schema, checks exactly what zod checks.
const safeText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(NO_UNSAFE_TEXT, 'contains control or bidirectional-override characters')
    .regex(NO_LONE_SURROGATE, 'contains a lone UTF-16 surrogate');

const finite = () => z.number().finite();

export { SOURCES, type ReadingSource } from './reading-sources.js';

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
  wind: z.object({ speed: finite().min(0).max(150), deg: finite().min(0).max(360).optional(), gust: finite().min(0).max(200).optional() }).optional(),
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
  timezone: z
    .number()
    .int()
    .min(-14 * 3600)
    .max(14 * 3600)
    .default(0),
  name: safeText(100).optional(),
});

export const readingSchema = z.object({
  v: z.literal(READING_VERSION),
  id: z.string().regex(READING_ID, 'must be a UUIDv7 or a ULID'),
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

/** `text`: the JSON text the reading was parsed from (set by parseReading; a byte-order mark is not part of it). */
export type ReadingVerdict = { ok: true; reading: Reading; text?: string } | { ok: false; reason: string };

export interface ReadingCheckOptions {
  /**
   * `strip` (default) drops keys the contract does not name, as zod does; `refuse` turns them away. The bridge
   * refuses, because it forwards the device's bytes as they are: what reaches Kafka must be exactly what was checked.
   */
  unknownKeys?: 'strip' | 'refuse';
}

/** Readings nest four levels (reading > weather > weather[] > entry); deeper input is hostile. */
export const MAX_READING_DEPTH = 8;

/**
 * The hot path: zod (about 39 µs a reading) is compiled once into an ajv validator (a few µs), from the zod
 * schema itself, so there is one contract. zod still explains a refusal (rare): its messages are the ones
 * people read; ajv's own message is used only where zod has nothing to say (an unknown key in `refuse` mode).
 */
function compileReadingValidators(): Record<'strip' | 'refuse', ValidateFunction> {
  const jsonSchema = z.toJSONSchema(readingSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  delete jsonSchema.$schema;
  const closed = closeObjects(structuredClone(jsonSchema)) as Record<string, unknown>;
  // Formats: zod's date-time pattern travels with the schema, so ajv needs no format of its own.
  const options = { useDefaults: true, validateFormats: false, allErrors: false } as const;
  return {
    strip: new Ajv({ ...options, removeAdditional: 'all' }).compile(jsonSchema),
    refuse: new Ajv(options).compile(closed),
  };
}

/** Marks every object of a JSON Schema as closed (`additionalProperties: false`). */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) schema.forEach(closeObjects);
  else if (schema && typeof schema === 'object') {
    const node = schema as Record<string, unknown>;
    if (node.type === 'object') node.additionalProperties = false;
    Object.values(node).forEach(closeObjects);
  }
  return schema;
}

const validators = compileReadingValidators();
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decides whether bytes are a valid v1 reading. Never throws: a bad reading is
 * a value to route aside (dead-letter), not an exception that stops a stage.
 * Duplicate keys (JSON.parse keeps the last, other parsers the first) and
 * nesting deeper than MAX_READING_DEPTH are refused before anything else.
 */
export function parseReading(bytes: Uint8Array | string, options: ReadingCheckOptions = {}): ReadingVerdict {
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.byteLength;
  if (size > MAX_READING_BYTES) return { ok: false, reason: `too large: ${size} bytes (limit ${MAX_READING_BYTES})` };
  let text: string;
  try {
    text = typeof bytes === 'string' ? bytes : utf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not UTF-8 text' };
  }
  const keysInText = countKeysInText(text);
  if (keysInText < 0) return { ok: false, reason: `nested deeper than ${MAX_READING_DEPTH} levels` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const shape = inspectParsed(value);
  if (shape === NOT_FINITE) return { ok: false, reason: 'a number is too large to be represented' };
  if (shape !== keysInText) return { ok: false, reason: 'a key appears twice in one object (duplicate keys are refused)' };
  const verdict = validate(value, options);
  if (verdict.ok) verdict.text = text;
  return verdict;
}

/** Checks an already parsed value (no duplicate-key check: JSON.parse has already kept one of them). */
export function checkReading(value: unknown, options: ReadingCheckOptions = {}): ReadingVerdict {
  if (inspectParsed(value) === NOT_FINITE) return { ok: false, reason: 'a number is too large to be represented' };
  return validate(value, options);
}

function validate(value: unknown, options: ReadingCheckOptions): ReadingVerdict {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const version = (value as { v?: unknown }).v;
  if (version !== READING_VERSION) {
    return { ok: false, reason: `unsupported reading version ${JSON.stringify(version) ?? 'undefined'} (this kots reads v${READING_VERSION})` };
  }
  const validator = validators[options.unknownKeys ?? 'strip'];
  // ajv fills defaults and (in `strip` mode) drops unknown keys in place: the parsed value becomes the Reading.
  if (validator(value)) return { ok: true, reading: value as Reading };
  return { ok: false, reason: explain(value, validator.errors) };
}

function explain(value: unknown, errors: ValidateFunction['errors']): string {
  const result = readingSchema.safeParse(value);
  if (!result.success) {
    return result.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
  }
  const first = errors?.[0];
  if (!first) return 'invalid reading';
  const path = first.instancePath.slice(1).replaceAll('/', '.') || '(root)';
  const extra = (first.params as { additionalProperty?: string }).additionalProperty;
  return extra !== undefined ? `${path}: unknown key "${extra.slice(0, 40)}" (the reading contract has no such field)` : `${path}: ${first.message}`;
}

/**
 * Counts the keys of all objects in JSON text (a ':' outside a string follows exactly one key), or -1 when
 * it nests deeper than MAX_READING_DEPTH. Compared with the keys JSON.parse kept, it reveals duplicate keys.
 */
function countKeysInText(text: string): number {
  let keys = 0;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x3a) keys++;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_READING_DEPTH) return -1;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return keys;
}

const NOT_FINITE = -1;

/** Counts the keys of all objects in a parsed value, or NOT_FINITE when a number overflowed (1e400 parses to Infinity). */
function inspectParsed(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? 0 : NOT_FINITE;
  if (typeof value !== 'object' || value === null) return 0;
  let keys = 0;
  if (Array.isArray(value)) {
    for (const item of value) {
      const inner = inspectParsed(item);
      if (inner === NOT_FINITE) return NOT_FINITE;
      keys += inner;
    }
    return keys;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const inner = inspectParsed((value as Record<string, unknown>)[key]);
    if (inner === NOT_FINITE) return NOT_FINITE;
    keys += inner + 1;
  }
  return keys;
}

/** The main weather condition ("Clear", "Rain", ...), or undefined for sensors that do not classify. */
export function weatherMain(reading: Reading): string | undefined {
  return reading.weather.weather[0]?.main;
}
