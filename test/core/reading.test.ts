import { describe, expect, it } from 'vitest';
import { checkReading, MAX_READING_BYTES, MAX_READING_DEPTH, parseReading, readingSchema } from '../../core/reading.js';
import { makeReading } from '../helpers/readings.js';

describe('reading contract v1', () => {
  it('accepts a complete reading and applies defaults', () => {
    const verdict = parseReading(JSON.stringify(makeReading()));
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.reading.weather.timezone).toBe(32400);
  });

  it('accepts a sensors reading that measures only temperature and humidity', () => {
    const reading = makeReading({ source: 'sensors', weather: { main: { temp: 293.4, humidity: 40 } } });
    const verdict = checkReading(reading);
    expect(verdict.ok).toBe(true);
    if (verdict.ok) expect(verdict.reading.weather.weather).toEqual([]);
  });

  it.each([
    ['wrong version', { ...makeReading(), v: 2 }, /unsupported reading version 2/],
    ['missing version', (({ v: _v, ...r }) => r)(makeReading()), /unsupported reading version undefined/],
    ['missing id', (({ id: _id, ...r }) => r)(makeReading()), /^id:/],
    ['id that is not UUIDv7 or ULID', makeReading({ id: 'abc' }), /id: must be a UUIDv7 or a ULID/],
    ['bad city slug', makeReading({ city: { slug: 'Tokyo City', name: 'Tokyo' } }), /city\.slug/],
    ['temperature as a string', { ...makeReading(), weather: { main: { temp: '290' } } }, /weather\.main\.temp/],
    ['unknown source', makeReading({ source: 'satellite' as never }), /source/],
    ['observed_at not ISO', makeReading({ observed_at: 'yesterday' }), /observed_at/],
    ['bidi override in the city name', makeReading({ city: { slug: 'kochi', name: 'Ko\u202echi' } }), /bidirectional/],
    ['an array', [makeReading()], /not a JSON object/],
  ])('rejects %s with a reason', (_label, value, reason) => {
    const verdict = checkReading(value);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  });

  it('rejects bytes that are not JSON, not UTF-8, or too large', () => {
    expect(parseReading('{"v":1,')).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(parseReading(Buffer.from([0xff, 0xfe, 0x00]))).toMatchObject({ ok: false, reason: 'not UTF-8 text' });
    expect(parseReading('x'.repeat(MAX_READING_BYTES + 1))).toMatchObject({ ok: false, reason: expect.stringMatching(/^too large/) });
  });

  it('refuses duplicate keys: JSON.parse keeps the last one, other parsers the first', () => {
    const text = JSON.stringify(makeReading({ device_id: 'dev-good' })).replace('"device_id":"dev-good"', '"device_id":"dev-other","device_id":"dev-good"');
    expect(parseReading(text)).toMatchObject({ ok: false, reason: expect.stringMatching(/duplicate keys/) });
    // a ':' or '"' inside a string is no key
    expect(parseReading(JSON.stringify(makeReading({ city: { slug: 'kochi', name: 'Ko:chi "\\" {[' } }))).ok).toBe(true);
  });

  it('refuses nesting deeper than MAX_READING_DEPTH before parsing, also under an unknown key', () => {
    const deep = (levels: number) => JSON.stringify({ ...makeReading(), extra: JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`) });
    expect(parseReading(deep(MAX_READING_DEPTH + 5))).toMatchObject({ ok: false, reason: expect.stringMatching(/nested deeper/) });
    expect(parseReading(deep(2000))).toMatchObject({ ok: false, reason: expect.stringMatching(/nested deeper/) });
  });

  it('strips unknown keys by default, refuses them on request, __proto__ and constructor included', () => {
    const text = JSON.stringify(makeReading()).replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"extra":1,');
    const stripped = parseReading(text);
    expect(stripped.ok).toBe(true);
    if (stripped.ok) expect(Object.keys(stripped.reading)).not.toContain('extra');
    if (stripped.ok) expect(Object.hasOwn(stripped.reading, '__proto__')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parseReading(text, { unknownKeys: 'refuse' })).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown key "__proto__"/) });
    const nested = JSON.stringify(makeReading()).replace('"main":{', '"main":{"evil":1,');
    expect(parseReading(nested, { unknownKeys: 'refuse' })).toMatchObject({ ok: false, reason: expect.stringMatching(/^weather\.main: unknown key "evil"/) });
  });

  it('refuses numbers that overflow to Infinity, even where the schema sets no maximum', () => {
    const text = JSON.stringify(makeReading({ weather: { main: { temp: 290 }, rain: { '1h': 1 } } })).replace('"1h":1', `"1h":1${'0'.repeat(400)}`);
    expect(parseReading(text)).toMatchObject({ ok: false, reason: expect.stringMatching(/too large to be represented/) });
  });

  it('the compiled validator agrees with the zod schema it is derived from', () => {
    const variants: unknown[] = [
      makeReading(),
      makeReading({ id: '01HZY8V4X5Q2W3E4R5T6Y7U8I9' }),
      makeReading({ id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }),
      makeReading({ id: '0190a0b0-c0d0-7e0f-8a0b-0c0d0e0f1a2b'.toUpperCase() }),
      makeReading({ observed_at: '2026-02-29T00:00:00Z' }),
      makeReading({ observed_at: '2028-02-29T00:00:00+09:00' }),
      makeReading({ city: { slug: 'kochi', name: 'Ko\u0000chi' } }),
      makeReading({ city: { slug: 'kochi', name: '\ud800' } }),
      makeReading({ city: { slug: 'kochi', name: '高知 🌧' } }),
      makeReading({ seq: 1.5 }),
      makeReading({ weather: { main: {} } }),
      makeReading({ weather: { main: { temp: 99 } } }),
      makeReading({ weather: { main: {}, weather: [{ id: 800, main: 'Clear', description: 'x', icon: '01x' }] } }),
      makeReading({ weather: { main: {}, timezone: 14 * 3600 + 1 } }),
      makeReading({ source: 'satellite' as never }),
    ];
    for (const value of variants) {
      const fast = checkReading(structuredClone(value), { unknownKeys: 'refuse' });
      const zod = readingSchema.safeParse(value);
      expect({ value, ok: fast.ok }).toEqual({ value, ok: zod.success });
      if (fast.ok && zod.success) expect(fast.reading).toEqual(zod.data);
    }
  });
});
