/**
 * 1,000 malformed or hostile payloads, with valid readings from another device
 * between them: each hostile one lands in the dead-letter topic or is refused,
 * the bridge stays up, every valid reading arrives, and nothing hostile reaches `weather`.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '../../core/topics.js';
import { makeReading } from '../helpers/readings.js';
import { servers } from '../helpers/servers.js';
import { closed, connectClient, publish, readTopic, registryOf, startTestBridge, topicCount, type TestBridge } from './helpers.js';

const EVIL = 'dev-evil';
const GOOD = 'dev-good';
const CITY = 'takamatsu';
const valid = (device: string, seq: number) => makeReading({ device_id: device, city: { slug: CITY, name: 'Takamatsu' }, seq });
const json = (value: unknown) => JSON.stringify(value);
// biome-ignore lint/suspicious/noExplicitAny: the cases write values of the wrong type on purpose, which is what any lets them do
type Tampered = Record<string, any>;
const withReading = (mutate: (r: Tampered) => void) => {
  const r: Tampered = valid(EVIL, 1);
  mutate(r);
  return json(r);
};

/** Hostile payload makers; the test cycles through them. `huge` ones close the connection. */
const HOSTILE: Array<{ kind: string; make: (i: number) => string | Buffer; huge?: boolean; topic?: string }> = [
  { kind: 'not json', make: (i) => `garbage{${i}` },
  { kind: 'empty', make: () => '' },
  { kind: 'random bytes', make: (i) => Buffer.from(Array.from({ length: 64 }, (_, k) => (i * 31 + k * 7) % 256)) },
  { kind: 'invalid utf-8', make: () => Buffer.concat([Buffer.from('{"v":1,"id":"'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')]) },
  { kind: 'byte-order mark inside JSON', make: () => json(valid(EVIL, 1)).replace('{', '{\ufeff') },
  { kind: 'deep nesting array', make: () => `${'['.repeat(7000)}${']'.repeat(7000)}` },
  { kind: 'deep nesting object', make: () => `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}` },
  { kind: 'json scalar', make: (i) => ['null', 'true', '42', '"a string"', '[]'][i % 5]! },
  { kind: 'wrong version', make: (i) => withReading((r) => (r.v = [2, '1', null, 0][i % 4])) },
  { kind: 'wrong id', make: (i) => withReading((r) => (r.id = [123, 'not-a-uuid', '', null][i % 4])) },
  { kind: 'wrong seq', make: (i) => withReading((r) => (r.seq = ['1', -1, 1.5, Number.POSITIVE_INFINITY][i % 4])) },
  { kind: 'wrong temperature', make: (i) => withReading((r) => (r.weather.main.temp = ['hot', -5, Number.POSITIVE_INFINITY, null][i % 4])) },
  { kind: 'huge number', make: () => withReading((r) => (r.weather.main.temp = 0)).replace('"temp":0', `"temp":1${'0'.repeat(400)}`) },
  { kind: 'missing weather', make: () => withReading((r) => delete r.weather) },
  { kind: 'bad date', make: (i) => withReading((r) => (r.observed_at = ['yesterday', '2026-13-45T99:00:00Z', 0][i % 3])) },
  { kind: 'bidi override in name', make: () => withReading((r) => (r.city.name = 'Taka\u202ematsu')) },
  { kind: 'zero-width in description', make: () => withReading((r) => (r.weather.weather[0].description = 'clear\u200bsky')) },
  { kind: 'nul byte', make: () => withReading((r) => (r.weather.name = 'Taka\u0000matsu')) },
  { kind: 'homoglyph device id', make: () => withReading((r) => (r.device_id = 'dev-\u0435vil')) },
  { kind: 'lone surrogate', make: () => json(valid(EVIL, 1)).replace('"Takamatsu"', '"\\ud800Takamatsu"') },
  { kind: 'other device in payload', make: () => withReading((r) => (r.device_id = GOOD)) },
  { kind: 'other city in payload', make: () => withReading((r) => (r.city = { slug: 'cairo', name: 'Cairo' })) },
  { kind: 'prototype pollution', make: () => `{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"v":1}` },
  { kind: 'too many weather entries', make: () => withReading((r) => (r.weather.weather = Array.from({ length: 50 }, () => r.weather.weather[0]))) },
  { kind: 'extra huge string', make: () => withReading((r) => (r.city.name = 'x'.repeat(15_000))) },
  { kind: "another device's topic", make: () => json(valid(GOOD, 1)), topic: deviceTopic(CITY, GOOD, 'weather') },
  { kind: 'huge payload', make: () => Buffer.alloc(40_000, 0x7b), huge: true },
  // Valid readings with something more: the bridge forwards the device's bytes, so these must not pass.
  {
    kind: 'prototype keys in a valid reading',
    make: () => json(valid(EVIL, 1)).replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},'),
  },
  {
    kind: 'duplicate device_id, another device first',
    make: () => json(valid(EVIL, 1)).replace(`"device_id":"${EVIL}"`, `"device_id":"${GOOD}","device_id":"${EVIL}"`),
  },
  {
    kind: 'deep nesting under an unknown key',
    make: (i) => json(valid(EVIL, 1)).replace('{', `{"x":${'{"a":'.repeat(200 + (i % 3) * 400)}1${'}'.repeat(200 + (i % 3) * 400)},`),
  },
  { kind: 'unknown key', make: () => withReading((r) => (r.weather.main.evil = 'payload')) },
];

let t: TestBridge;
beforeAll(async () => {
  const registry = await registryOf([
    { id: EVIL, city: CITY, secret: 'evil-secret' },
    { id: GOOD, city: CITY, secret: 'good-secret' },
    { id: 'dev-after', city: CITY, secret: 'after-secret' },
  ]);
  t = await startTestBridge({ registry, overrides: { 'bridge.maxMessagesPerMinute': 1_000_000, 'bridge.rateBurst': 100_000 } });
});
afterAll(async () => t?.close());

it('1,000 hostile payloads go to weather.dlq or are refused; the valid readings between them all arrive', async () => {
  const brokers = servers.kafkaBrokers;
  const good = await connectClient(t.url, { clientId: GOOD, username: GOOD, password: 'good-secret', protocolVersion: 4 });
  let evil = await connectClient(t.url, { clientId: EVIL, username: EVIL, password: 'evil-secret', protocolVersion: 5 });
  const outcome = { deadLettered: 0, refused: 0, disconnected: 0 };
  const validIds: string[] = [];
  // Ten at a time (a huge one alone, it costs the connection), then a valid reading from the other device.
  for (let chunk = 0; chunk < 100; chunk++) {
    const batch = Array.from({ length: 10 }, (_, k) => chunk * 10 + k).map((i) => ({ i, hostile: HOSTILE[i % HOSTILE.length]! }));
    await Promise.all(
      batch
        .filter(({ hostile }) => !hostile.huge)
        .map(({ i, hostile }) =>
          publish(evil, hostile.topic ?? deviceTopic(CITY, EVIL, 'weather'), hostile.make(i)).then(
            () => outcome.deadLettered++,
            (error: { code?: number }) => {
              expect(error.code).toBe(0x87);
              outcome.refused++;
            },
          ),
        ),
    );
    for (const { i, hostile } of batch.filter(({ hostile }) => hostile.huge)) {
      const gone = closed(evil);
      evil.publish(deviceTopic(CITY, EVIL, 'weather'), hostile.make(i), { qos: 1 });
      expect(await gone).toBe(true);
      outcome.disconnected++;
      evil.end(true);
      evil = await connectClient(t.url, { clientId: EVIL, username: EVIL, password: 'evil-secret', protocolVersion: 5 });
    }
    const reading = valid(GOOD, chunk);
    validIds.push(reading.id);
    await publish(good, deviceTopic(CITY, GOOD, 'weather'), json(reading));
  }
  expect(outcome.deadLettered + outcome.refused + outcome.disconnected).toBe(1000);
  expect(outcome.disconnected).toBeGreaterThanOrEqual(30);
  expect(outcome.refused).toBeGreaterThanOrEqual(30);
  // Frames over the MQTT limit are dropped by aedes itself; the bridge still counts (and logs) each one.
  expect(t.bridge.metrics.refusedByReason.get('payload_too_large')).toBe(outcome.disconnected);

  // Every PUBACKed hostile payload is in the dead-letter topic, with a reason; nothing hostile is in `weather`.
  expect(await topicCount(brokers, t.config.kafka.deadLetterTopic)).toBe(outcome.deadLettered);
  const dlq = await readTopic(brokers, t.config.kafka.deadLetterTopic, outcome.deadLettered);
  expect(dlq.every((r) => (r.headers['kots-reason'] ?? '').length > 0)).toBe(true);
  const weather = await readTopic(brokers, t.config.kafka.weatherTopic, validIds.length);
  expect(weather).toHaveLength(100);
  expect(weather.map((r) => JSON.parse(r.value.toString()).id).sort()).toEqual([...validIds].sort());
  expect(weather.every((r) => r.headers['kots-device'] === GOOD && r.key === CITY && r.headers['kots-schema-version'] === '1')).toBe(true);

  // still up and serving
  expect(good.connected).toBe(true);
  const fresh = await connectClient(t.url, { clientId: 'dev-after', username: 'dev-after', password: 'after-secret', protocolVersion: 4 });
  await publish(fresh, deviceTopic(CITY, 'dev-after', 'weather'), json(valid('dev-after', 0)));
  for (const c of [good, evil, fresh]) c.end(true);
}, 120_000);
