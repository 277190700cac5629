/**
 * fleet.yaml: the cities and the devices in each, and the broker they talk to.
 * Validated with zod; every problem names the line of fleet.yaml it is about
 * (the `yaml` document API maps a zod issue path to a source offset).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { SOURCES } from '../core/reading.js';
import { DEVICE_ID_PATTERN, SLUG_PATTERN, slugify } from '../core/topics.js';
import { KotsError } from '../core/errors.js';

export const TARGET_NAMES = ['linux-x64', 'linux-arm64', 'linux-armv7l'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

const brokerUrl = z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a URL such as mqtts://broker.example.org:8883');
const sshAddress = z.string().regex(/^(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9.:_\-[\]]+$/, 'expected user@host');

const intervalSchema = z
  .object({
    min: z.number().positive().max(86_400).describe('Shortest wait between readings, seconds.'),
    max: z.number().positive().max(86_400).describe('Longest wait between readings, seconds.'),
  })
  .strict()
  .refine((i) => i.min <= i.max, { message: 'min must not exceed max', path: ['min'] });

const deviceSchema = z
  .object({
    id: z.string().regex(DEVICE_ID_PATTERN, 'must be lower-case a-z, 0-9, "_" or "-" (at most 64), starting with a letter or digit').optional(),
    count: z.number().int().min(1).max(1000).default(1),
    target: z.enum(TARGET_NAMES).optional(),
    source: z.enum(SOURCES).optional(),
    interval: intervalSchema.optional(),
    healthIntervalSeconds: z.number().positive().max(86_400).optional(),
    ssh: sshAddress.optional(),
  })
  .strict()
  .refine((d) => d.id === undefined || d.count === 1, {
    message: 'a device with an explicit id has count 1 (ids of counted devices are <city>-<n>)',
    path: ['count'],
  });

const citySchema = z
  .object({
    name: z.string().min(1),
    slug: z.string().regex(SLUG_PATTERN, 'must be a slug: a-z, 0-9 and "-"').optional(),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 code such as JP')
      .optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
    timezone: z.number().int().min(-50_400).max(50_400).optional(),
    openweather: z.string().min(1).optional(),
    devices: z.array(deviceSchema).min(1, 'a city needs at least one device'),
  })
  .strict()
  .refine((c) => (c.lat === undefined) === (c.lon === undefined), { message: 'give both lat and lon', path: ['lat'] })
  .refine((c) => c.lat !== undefined || c.openweather !== undefined, {
    message: 'give the coordinates (lat, lon) or an OpenWeather city (openweather: "Name,CC")',
    path: ['name'],
  });

export const manifestSchema = z
  .object({
    version: z.literal(1).default(1),
    name: z.string().regex(SLUG_PATTERN, 'must be a slug: a-z, 0-9 and "-"').default('fleet'),
    broker: z
      .object({
        url: brokerUrl,
        caFile: z.string().min(1).optional(),
        protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
      })
      .strict(),
    defaults: z
      .object({
        target: z.enum(TARGET_NAMES).default('linux-arm64'),
        source: z.enum(SOURCES).default('simulated'),
        interval: intervalSchema.default({ min: 10, max: 30 }),
        healthIntervalSeconds: z.number().positive().max(86_400).default(60),
      })
      .strict()
      .default({ target: 'linux-arm64', source: 'simulated', interval: { min: 10, max: 30 }, healthIntervalSeconds: 60 }),
    cities: z.array(citySchema).min(1, 'a fleet needs at least one city'),
  })
  .strict();

export type Manifest = z.infer<typeof manifestSchema>;

/** One device as provisioning needs it: everything settled, nothing secret. */
export interface DeviceSpec {
  id: string;
  city: { name: string; slug: string; country?: string; lat: number; lon: number; timezone?: number };
  target: TargetName;
  source: (typeof SOURCES)[number];
  intervalMinSeconds: number;
  intervalMaxSeconds: number;
  healthIntervalSeconds: number;
  /** Ask OpenWeather by name (q=Name,CC) rather than coordinates. */
  openweatherQuery: 'coordinates' | 'name';
  ssh?: string;
}

export interface FleetPlan {
  name: string;
  broker: { url: string; caFile?: string; protocolVersion: 4 | 5 };
  devices: DeviceSpec[];
}

/** Coordinates of well-known cities, so `openweather: "Takamatsu,JP"` alone is enough for them. */
const KNOWN_COORDINATES: Record<string, { lat: number; lon: number; timezone: number }> = {
  'takamatsu,jp': { lat: 34.3428, lon: 134.0466, timezone: 32400 },
  'kochi,jp': { lat: 33.5597, lon: 133.5311, timezone: 32400 },
  'nakano,jp': { lat: 35.7074, lon: 139.6638, timezone: 32400 },
  'reykjavik,is': { lat: 64.1466, lon: -21.9426, timezone: 0 },
  'cairo,eg': { lat: 30.0444, lon: 31.2357, timezone: 7200 },
  'singapore,sg': { lat: 1.3521, lon: 103.8198, timezone: 28800 },
  'buenos aires,ar': { lat: -34.6037, lon: -58.3816, timezone: -10800 },
  'yakutsk,ru': { lat: 62.0355, lon: 129.6755, timezone: 32400 },
};

/** "line N" of the node at `path`, or of its nearest ancestor that exists (a missing key is reported where its parent is). */
function lineOf(doc: Document, counter: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = depth === 0 ? doc.contents : doc.getIn(keys, true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return counter.linePos(range[0]).line;
  }
  return undefined;
}

function describePath(path: ReadonlyArray<PropertyKey>): string {
  return (
    path
      .map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`))
      .join('')
      .replace(/^\./, '') || '(top level)'
  );
}

/** Parses and validates fleet.yaml text; `source` names the file in errors. */
export function parseManifest(text: string, source: string): Manifest {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) {
    const problems = doc.errors.slice(0, 10).map((e) => `${source}:${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new KotsError('CONFIG_INVALID', `fleet manifest is not valid YAML:\n  - ${problems.join('\n  - ')}`);
  }
  const result = manifestSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    const problems = result.error.issues.slice(0, 20).flatMap((issue) => {
      // An unknown key is reported on its own line, one problem per key.
      const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
      const message = issue.code === 'unrecognized_keys' ? 'unknown key (a typo?)' : issue.message;
      return paths.map((path) => `${source}:${lineOf(doc, counter, path) ?? '?'}: ${describePath(path)}: ${message}`);
    });
    throw new KotsError('CONFIG_INVALID', `fleet manifest is invalid:\n  - ${problems.join('\n  - ')}`);
  }
  const manifest = result.data;
  const problems = duplicateProblems(manifest, doc, counter, source);
  if (problems.length > 0) throw new KotsError('CONFIG_INVALID', `fleet manifest is invalid:\n  - ${problems.join('\n  - ')}`);
  return manifest;
}

function cityCoordinates(city: Manifest['cities'][number]): { lat: number; lon: number; timezone?: number } | undefined {
  if (city.lat !== undefined && city.lon !== undefined)
    return { lat: city.lat, lon: city.lon, ...(city.timezone !== undefined ? { timezone: city.timezone } : {}) };
  const known = KNOWN_COORDINATES[(city.openweather ?? '').toLowerCase().replace(/\s*,\s*/g, ',')];
  return known ? { lat: known.lat, lon: known.lon, timezone: city.timezone ?? known.timezone } : undefined;
}

function citySlug(city: Manifest['cities'][number]): string {
  return city.slug ?? slugify(city.name);
}

/** Each device entry of a city with its ids, in order: an explicit id, else <city slug>-<n> counted over the city's devices. */
function deviceIds(city: Manifest['cities'][number]): Array<{ device: Manifest['cities'][number]['devices'][number]; ids: string[] }> {
  let n = 0;
  return city.devices.map((device) => ({ device, ids: device.id ? [device.id] : Array.from({ length: device.count }, () => `${citySlug(city)}-${++n}`) }));
}

function duplicateProblems(manifest: Manifest, doc: Document, counter: LineCounter, source: string): string[] {
  const problems: string[] = [];
  const where = new Map<string, string>();
  const slugs = new Map<string, number>();
  manifest.cities.forEach((city, c) => {
    const slug = citySlug(city);
    const line = (path: PropertyKey[]) => `${source}:${lineOf(doc, counter, path) ?? '?'}`;
    if (!SLUG_PATTERN.test(slug)) problems.push(`${line(['cities', c, 'name'])}: cities[${c}].name: "${city.name}" gives no usable slug; add slug: <a-z0-9->`);
    if (slugs.has(slug)) problems.push(`${line(['cities', c, 'name'])}: cities[${c}]: city slug "${slug}" is used twice (also cities[${slugs.get(slug)}])`);
    slugs.set(slug, c);
    if (!cityCoordinates(city))
      problems.push(
        `${line(['cities', c, 'openweather'])}: cities[${c}].openweather: "${city.openweather}" is not a city kots knows the coordinates of; add lat and lon`,
      );
    deviceIds(city).forEach(({ ids }, d) => {
      for (const id of ids) {
        const here = `${line(['cities', c, 'devices', d])}`;
        if (!DEVICE_ID_PATTERN.test(id)) problems.push(`${here}: cities[${c}].devices[${d}]: generated id "${id}" is not a valid device id; give id:`);
        if (where.has(id)) problems.push(`${here}: cities[${c}].devices[${d}]: device id "${id}" is used twice (also at ${where.get(id)})`);
        where.set(id, here);
      }
    });
  });
  return problems;
}

/** The devices a manifest describes, with defaults applied; the CA path is made absolute (relative to the manifest). */
export function planFleet(manifest: Manifest, manifestDir: string): FleetPlan {
  const devices: DeviceSpec[] = [];
  for (const city of manifest.cities) {
    const coordinates = cityCoordinates(city);
    // readManifest refuses such a city with its line; this keeps a manifest built in code honest too.
    if (!coordinates)
      throw new KotsError('CONFIG_INVALID', `fleet manifest: city ${city.name} has no lat and lon, and "${city.openweather}" is not a city kots knows`);
    const [openweatherName, openweatherCountry] = (city.openweather ?? '').split(',').map((s) => s.trim());
    const country = city.country ?? openweatherCountry;
    const resolvedCity = {
      name: city.lat === undefined && openweatherName ? openweatherName : city.name,
      slug: citySlug(city),
      ...(country ? { country: country.toUpperCase() } : {}),
      lat: coordinates.lat,
      lon: coordinates.lon,
      ...(coordinates.timezone !== undefined ? { timezone: coordinates.timezone } : {}),
    };
    for (const { device, ids } of deviceIds(city)) {
      const interval = device.interval ?? manifest.defaults.interval;
      for (const id of ids) {
        devices.push({
          id,
          city: resolvedCity,
          target: device.target ?? manifest.defaults.target,
          source: device.source ?? manifest.defaults.source,
          intervalMinSeconds: interval.min,
          intervalMaxSeconds: interval.max,
          healthIntervalSeconds: device.healthIntervalSeconds ?? manifest.defaults.healthIntervalSeconds,
          openweatherQuery: city.openweather !== undefined && city.lat === undefined ? 'name' : 'coordinates',
          ...(device.ssh ? { ssh: device.ssh } : {}),
        });
      }
    }
  }
  const caFile = manifest.broker.caFile;
  return {
    name: manifest.name,
    broker: {
      url: manifest.broker.url,
      protocolVersion: manifest.broker.protocolVersion,
      ...(caFile ? { caFile: isAbsolute(caFile) ? caFile : resolve(manifestDir, caFile) } : {}),
    },
    devices,
  };
}

/** Reads, validates and plans fleet.yaml. */
export function loadFleetManifest(file: string): FleetPlan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new KotsError('CONFIG_FILE_UNREADABLE', `cannot read the fleet manifest ${file}: ${(error as Error).message}`, { cause: error });
  }
  const plan = planFleet(parseManifest(text, file), dirname(resolve(file)));
  if (plan.broker.caFile) {
    try {
      readFileSync(plan.broker.caFile);
    } catch (error) {
      throw new KotsError('CONFIG_FILE_UNREADABLE', `${file}: broker.caFile: cannot read ${plan.broker.caFile}: ${(error as Error).message}`, { cause: error });
    }
  }
  return plan;
}
