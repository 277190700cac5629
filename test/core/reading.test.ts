import { describe, expect, it } from 'vitest';
import { checkReading, MAX_READING_BYTES, parseReading } from '../../core/reading.js';
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
});
