/**
 * Hostile MQTT payloads for a device's own weather topic, drawn by fast-check
 * from the kinds a compromised or broken device can send: random bytes, deep
 * nesting, huge numbers, wrong types, `__proto__` / `constructor` keys,
 * another device's id (also as a duplicated key), markup in the city name,
 * and payloads over the bridge's frame limit. Each reading-shaped payload has
 * an id of its own, so whatever gets through never collides with a good reading.
 */
import fc from 'fast-check';
import { makeReading } from '../test/helpers/readings.js';

export type HostileKind = 'random-bytes' | 'deep-nesting' | 'huge-number' | 'wrong-type' | 'proto-key' | 'other-device' | 'markup-city' | 'oversize';

export interface HostilePayload {
  kind: HostileKind;
  bytes: Buffer;
}

export interface HostileDevice {
  id: string;
  city: { slug: string; name: string };
  /** Ids of other devices of the fleet, for impersonation. */
  others: readonly string[];
  /** The bridge's bridge.maxPayloadBytes: oversize payloads go beyond it. */
  maxPayloadBytes: number;
}

function validReading(device: HostileDevice, seq: number): Record<string, unknown> {
  return makeReading({ device_id: device.id, city: { ...device.city }, seq, observed_at: new Date().toISOString() }) as Record<string, unknown>;
}

/** Dotted paths of a reading's fields, for wrong types and huge numbers. */
const FIELDS = [
  'v',
  'id',
  'device_id',
  'city',
  'city.slug',
  'city.name',
  'source',
  'seq',
  'observed_at',
  'weather',
  'weather.main',
  'weather.main.temp',
  'weather.wind.speed',
  'weather.weather',
  'weather.dt',
  'weather.timezone',
] as const;

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys.at(-1)!] = value;
}

const text = (value: unknown) => Buffer.from(JSON.stringify(value));
/** Inserts raw JSON text right after the opening brace (keys JSON.stringify cannot write, like a second "device_id"). */
const withLeadingMembers = (reading: Record<string, unknown>, members: string) => Buffer.from(`{${members},${JSON.stringify(reading).slice(1)}`);

function arbitraries(device: HostileDevice): Record<HostileKind, fc.Arbitrary<Buffer>> {
  const reading = fc.nat({ max: 1_000_000 }).map((seq) => validReading(device, seq));
  return {
    'random-bytes': fc.uint8Array({ minLength: 0, maxLength: 4096 }).map((bytes) => Buffer.from(bytes)),
    'deep-nesting': fc.tuple(reading, fc.integer({ min: 50, max: 5000 }), fc.constantFrom('[', '{"a":')).map(([r, depth, open]) => {
      const close = open === '[' ? ']' : '}';
      return withLeadingMembers(r, `"extra":${open.repeat(depth)}1${close.repeat(depth)}`);
    }),
    'huge-number': fc
      .tuple(
        reading,
        fc.constantFrom(...FIELDS),
        fc.constantFrom('1e308', '-1e308', '1e999', '123456789012345678901234567890', '9007199254740993', '-0', '1e-400'),
      )
      .map(([r, field, number]) => {
        const marker = '"__HUGE__"';
        setPath(r, field, '__HUGE__');
        return Buffer.from(JSON.stringify(r).replace(marker, number));
      }),
    'wrong-type': fc.tuple(reading, fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 3 })).map(([r, field, value]) => {
      setPath(r, field, value);
      return text(r);
    }),
    'proto-key': fc
      .tuple(
        reading,
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        fc.constantFrom('', 'city.', 'weather.', 'weather.main.'),
        fc.jsonValue({ maxDepth: 2 }),
      )
      .map(([r, key, at, value]) => {
        const member = `"${key}":${key === 'constructor' ? JSON.stringify({ prototype: { polluted: value } }) : JSON.stringify(value ?? null)}`;
        if (at === '') return withLeadingMembers(r, member);
        const path = at.slice(0, -1);
        const marker = '"__PROTO_MARKER__":0';
        setPath(r, `${path}.__PROTO_MARKER__`, 0);
        return Buffer.from(JSON.stringify(r).replace(marker, member));
      }),
    'other-device': fc.tuple(reading, fc.constantFrom(...device.others), fc.boolean()).map(([r, other, duplicated]) => {
      if (!duplicated) return text({ ...r, device_id: other });
      // A second device_id key: first another device's, last the topic's own.
      return withLeadingMembers(r, `"device_id":${JSON.stringify(other)}`);
    }),
    'markup-city': fc
      .tuple(reading, fc.constantFrom('<!channel>', '<http://evil.example|click>', '*urgent*', '<script>alert(1)</script>', '&lt;b&gt;', 'Kochi\u202e'))
      .map(([r, markup]) => {
        (r.city as { name: string }).name = `${markup} ${device.city.name}`;
        return text(r);
      }),
    oversize: fc.tuple(reading, fc.integer({ min: device.maxPayloadBytes + 2048, max: device.maxPayloadBytes * 4 })).map(([r, size]) => {
      (r as Record<string, unknown>).padding = 'x'.repeat(size);
      return text(r);
    }),
  };
}

/** `count` hostile payloads, the same for the same seed; `oversizeShare` of them over the frame limit. */
export function hostilePayloads(device: HostileDevice, count: number, seed = 17, oversizeShare = 0.01): HostilePayload[] {
  const all = arbitraries(device);
  const kinds = (Object.keys(all) as HostileKind[]).filter((k) => k !== 'oversize');
  const oversize = Math.round(count * oversizeShare);
  const one = fc.oneof(...kinds.map((kind) => all[kind].map((bytes) => ({ kind, bytes }))));
  const payloads = fc.sample(one, { numRuns: count - oversize, seed });
  const big = fc.sample(all.oversize, { numRuns: oversize, seed: seed + 1 }).map((bytes) => ({ kind: 'oversize' as const, bytes }));
  return [...payloads, ...big];
}
