import { describe, expect, it } from 'vitest';
import { readingSchema, type Reading } from '../../../core/reading.js';
import {
  CityHistoryState,
  EVENTS,
  FISH_RAIN_WINDOW_MS,
  advanceHistory,
  detectEvent,
  gateValue,
  localHour,
  type CityHistory,
  type EventId,
} from '../../../consumer/events/index.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const TOKYO = 32_400;
const T0 = Date.UTC(2025, 0, 1);

/** A UUIDv7-looking id made from a counter: the same n always gives the same id. */
const idOf = (n: number): string => `01940000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

/** The first counter id whose gates pass (true) or fail (false) as asked; events not named are free. */
function findId(want: Partial<Record<EventId, boolean>>): string {
  const wanted = Object.entries(want).map(([id, pass]) => [Number(id) as EventId, pass] as const);
  for (let n = 0; n < 1_000_000; n++) {
    const id = idOf(n);
    if (wanted.every(([eventId, pass]) => (gateValue(id, eventId) < EVENTS[eventId - 1]!.p) === pass)) return id;
  }
  throw new Error(`no id with gates ${JSON.stringify(want)}`);
}

const ALL_PASS = findId(Object.fromEntries(EVENTS.map((e) => [e.id, true])));
const ALL_FAIL = findId(Object.fromEntries(EVENTS.filter((e) => e.p < 1).map((e) => [e.id, false])));

interface ReadingSpec {
  id?: string;
  city?: string;
  at?: number;
  tz?: number;
  main?: string;
  description?: string;
  temp?: number;
  wind?: number;
}

function reading(spec: ReadingSpec): Reading {
  const main = spec.main;
  return readingSchema.parse({
    v: 1,
    id: spec.id ?? ALL_PASS,
    device_id: 'dev-1',
    city: { slug: spec.city ?? 'tokyo', name: spec.city ?? 'Tokyo' },
    source: 'simulated',
    seq: 0,
    observed_at: new Date(spec.at ?? T0).toISOString(),
    weather: {
      weather: main === undefined ? [] : [{ id: 800, main, description: spec.description ?? main.toLowerCase(), icon: '01d' }],
      main: spec.temp === undefined ? {} : { temp: spec.temp },
      ...(spec.wind === undefined ? {} : { wind: { speed: spec.wind } }),
      ...(spec.tz === undefined ? {} : { timezone: spec.tz }),
    },
  });
}

/** UTC epoch ms of a Tokyo local time (h may wrap into the previous UTC day). */
const tokyoLocal = (h: number, m = 0): number => Date.UTC(2025, 5, 1, h - 9, m);

describe('catalog', () => {
  it('has the ten events of issue 5, in checking order, with their gates', () => {
    expect(EVENTS.map((e) => [e.id, e.name, e.p])).toEqual([
      [1, 'The Cat Whisperer', 0.3],
      [2, 'The Two Moons Appearance', 1],
      [3, 'The Fish Rain', 0.25],
      [4, 'The Living Spirit Walk', 1],
      [5, 'The Oedipus Prophecy', 0.4],
      [6, 'The Entrance Stone', 0.35],
      [7, 'The Timeless Library', 0.45],
      [8, 'The Music of the Wind', 0.5],
      [9, 'The Shadowless Man', 0.4],
      [10, 'The Talking Crow', 0.3],
    ]);
    for (const e of EVENTS) {
      expect(e.description.length).toBeGreaterThan(20);
      expect(e.newsflash).not.toContain('\n');
    }
  });
});

describe('localHour', () => {
  it.each([
    ['Tokyo 20:00 is 11:00 UTC', Date.UTC(2025, 5, 1, 11), TOKYO, 20],
    ['UTC offset 0', Date.UTC(2025, 5, 1, 11), 0, 11],
    ['crosses midnight forward', Date.UTC(2025, 5, 1, 23, 30), 3600, 0],
    ['crosses midnight backward', Date.UTC(2025, 5, 1, 1), -18_000, 20],
  ])('%s', (_name, at, tz, hour) => {
    expect(localHour(reading({ at, tz }))).toBe(hour);
  });
});

describe('detectEvent at each threshold (all gates pass)', () => {
  const cases: Array<[string, ReadingSpec, EventId | undefined]> = [
    ['nothing measured', {}, undefined],
    ['temp 273.14 is below freezing', { temp: 273.14 }, 1],
    ['temp 273.15 is not', { temp: 273.15 }, undefined],
    ['Clear at local 19:59', { main: 'Clear', tz: TOKYO, at: tokyoLocal(19, 59) }, undefined],
    ['Clear at local 20:00', { main: 'Clear', tz: TOKYO, at: tokyoLocal(20) }, 2],
    ['Clear at local 21:59', { main: 'Clear', tz: TOKYO, at: tokyoLocal(21, 59) }, 2],
    ['Clear at local 22:00', { main: 'Clear', tz: TOKYO, at: tokyoLocal(22) }, undefined],
    ['Clear at 20:00 UTC is 05:00 in Tokyo', { main: 'Clear', tz: TOKYO, at: Date.UTC(2025, 5, 1, 20) }, undefined],
    ['Clouds at local 20:00', { main: 'Clouds', tz: TOKYO, at: tokyoLocal(20) }, undefined],
    ['Fog at local 05:59', { main: 'Fog', tz: TOKYO, at: tokyoLocal(5, 59) }, undefined],
    ['Fog at local 06:00', { main: 'Fog', tz: TOKYO, at: tokyoLocal(6) }, 4],
    ['Fog at local 08:59', { main: 'Fog', tz: TOKYO, at: tokyoLocal(8, 59) }, 4],
    ['Fog at local 09:00', { main: 'Fog', tz: TOKYO, at: tokyoLocal(9) }, undefined],
    ['Mist at local 07:00', { main: 'Mist', tz: TOKYO, at: tokyoLocal(7) }, undefined],
    ['Thunderstorm', { main: 'Thunderstorm' }, 5],
    ['wind 6', { wind: 6 }, undefined],
    ['wind 6.01', { wind: 6.01 }, 6],
    ['wind 8.01 meets Entrance Stone first', { wind: 8.01 }, 6],
    ['temp 293.15, still', { temp: 293.15, wind: 1 }, undefined],
    ['temp 293.16, still', { temp: 293.16, wind: 1 }, 7],
    ['temp 298.14, still', { temp: 298.14, wind: 1 }, 7],
    ['temp 298.15, still', { temp: 298.15, wind: 1 }, undefined],
    ['temp 295, wind 3.49', { temp: 295, wind: 3.49 }, 7],
    ['temp 295, wind 3.5', { temp: 295, wind: 3.5 }, undefined],
    ['temp 295, no wind measured', { temp: 295 }, undefined],
    ['Clear, temp 303.15 at noon', { main: 'Clear', temp: 303.15, tz: TOKYO, at: tokyoLocal(12) }, undefined],
    ['Clear, temp 303.16 at noon', { main: 'Clear', temp: 303.16, tz: TOKYO, at: tokyoLocal(12) }, 9],
    ['Clouds, temp 310', { main: 'Clouds', temp: 310 }, undefined],
    ['Clear, temp 310 at local 20:00 is Two Moons first', { main: 'Clear', temp: 310, tz: TOKYO, at: tokyoLocal(20) }, 2],
    ['Snow', { main: 'Snow' }, 10],
    ['heavy rain with no history', { main: 'Rain', description: 'heavy intensity rain' }, undefined],
  ];
  it.each(cases)('%s', (_name, spec, expected) => {
    expect(detectEvent(reading(spec), {})?.id).toBe(expected);
  });
});

describe('gates', () => {
  it('give the same value for the same reading and event, every time', () => {
    const id = idOf(42);
    expect(gateValue(id, 3)).toBe(gateValue(id, 3));
    expect(gateValue(id, 3)).not.toBe(gateValue(id, 4));
    const r = reading({ id, temp: 250, wind: 9 });
    expect(detectEvent(r, {})).toEqual(detectEvent(structuredClone(r), {}));
  });

  it('are uniform in [0, 1) and pass about p of 20,000 readings', () => {
    const ids = Array.from({ length: 20_000 }, (_, n) => idOf(1_000_000 + n));
    for (const event of EVENTS) {
      const values = ids.map((id) => gateValue(id, event.id));
      expect(values.every((u) => u >= 0 && u < 1)).toBe(true);
      const passRate = values.filter((u) => u < event.p).length / values.length;
      // 3.5 standard deviations at p = 0.5 and n = 20,000 is about 0.0124.
      expect(Math.abs(passRate - event.p)).toBeLessThan(0.0125);
    }
  });

  it('a gate that fails lets the walk go on to the next event whose condition holds', () => {
    const coldWindy = { temp: 250, wind: 9 };
    expect(detectEvent(reading({ ...coldWindy, id: findId({ 1: true }) }), {})?.id).toBe(1);
    expect(detectEvent(reading({ ...coldWindy, id: findId({ 1: false, 6: true }) }), {})?.id).toBe(6);
    expect(detectEvent(reading({ ...coldWindy, id: findId({ 1: false, 6: false, 8: true }) }), {})?.id).toBe(8);
    expect(detectEvent(reading({ ...coldWindy, id: ALL_FAIL }), {})).toBeUndefined();
  });

  it('p = 1 always fires, whatever the id', () => {
    const fog = { main: 'Fog', tz: TOKYO, at: tokyoLocal(7) };
    expect(detectEvent(reading({ ...fog, id: ALL_FAIL }), {})?.id).toBe(4);
  });

  it('a detected event carries its catalog entry and the gate value below p', () => {
    const event = detectEvent(reading({ main: 'Snow' }), {});
    expect(event).toMatchObject({ id: 10, name: 'The Talking Crow', newsflash: EVENTS[9]!.newsflash });
    expect(event!.gate).toBeLessThan(0.3);
  });
});

describe('The Fish Rain', () => {
  const FISH_PASS = findId({ 3: true });
  const FISH_FAIL = findId({ 3: false });
  const heavyRain = (at: number, id = FISH_PASS): Reading => reading({ id, at, main: 'Rain', description: 'heavy intensity rain' });
  const clear = (at: number): Reading => reading({ id: idOf(7), at, main: 'Clouds' });
  const drizzle = (at: number): Reading => reading({ id: idOf(8), at, main: 'Drizzle' });

  /** Feeds the readings through one state and returns the last one's event id. */
  function lastEvent(readings: Reading[]): EventId | undefined {
    const state = new CityHistoryState();
    let last: EventId | undefined;
    for (const r of readings) last = state.detectAndAdvance(r)?.id;
    return last;
  }

  it.each([
    ['a wet reading 72 h + 1 min earlier: fires', [clear(T0), drizzle(T0 + HOUR), heavyRain(T0 + HOUR + 72 * HOUR + MINUTE)], 3],
    ['a wet reading 72 h earlier: not more than 72 h', [clear(T0), drizzle(T0 + HOUR), heavyRain(T0 + HOUR + 72 * HOUR)], undefined],
    ['a wet reading 71 h earlier', [clear(T0), drizzle(T0 + HOUR), heavyRain(T0 + HOUR + 71 * HOUR)], undefined],
    ['never wet, reporting exactly 72 h: fires', [clear(T0), heavyRain(T0 + 72 * HOUR)], 3],
    ['never wet, reporting 71 h 59 min', [clear(T0), heavyRain(T0 + 72 * HOUR - MINUTE)], undefined],
    ['the first reading of a city', [heavyRain(T0)], undefined],
    ['dry 100 h but the gate fails', [clear(T0), heavyRain(T0 + 100 * HOUR, FISH_FAIL)], undefined],
    ['moderate rain after a dry spell', [clear(T0), reading({ at: T0 + 100 * HOUR, main: 'Rain', description: 'moderate rain' })], undefined],
    ['a thunderstorm counts as wet', [clear(T0), reading({ id: idOf(9), at: T0 + 50 * HOUR, main: 'Thunderstorm' }), heavyRain(T0 + 100 * HOUR)], undefined],
    ['the heavy rain itself ends the dry spell', [clear(T0), heavyRain(T0 + 100 * HOUR), heavyRain(T0 + 101 * HOUR)], undefined],
    ['another city’s rain does not count', [clear(T0), reading({ city: 'osaka', at: T0 + 50 * HOUR, main: 'Rain' }), heavyRain(T0 + 100 * HOUR)], 3],
  ])('%s', (_name, readings, expected) => {
    expect(lastEvent(readings)).toBe(expected);
  });

  it('uses the 72 h window the rules export', () => {
    expect(FISH_RAIN_WINDOW_MS).toBe(72 * HOUR);
  });
});

describe('advanceHistory', () => {
  it('records the first observation and the latest wet one, without mutating its input', () => {
    const start: CityHistory = Object.freeze({});
    const h1 = advanceHistory(start, reading({ at: T0 + HOUR, main: 'Clear' }));
    expect(h1).toEqual({ firstObservedAt: T0 + HOUR });
    const h2 = advanceHistory(h1, reading({ at: T0, main: 'Rain' }));
    expect(h2).toEqual({ firstObservedAt: T0, lastWetAt: T0 });
    const h3 = advanceHistory(h2, reading({ at: T0 + 2 * HOUR, main: 'Drizzle' }));
    expect(h3).toEqual({ firstObservedAt: T0, lastWetAt: T0 + 2 * HOUR });
    expect(advanceHistory(h3, reading({ at: T0 + 3 * HOUR, main: 'Snow' }))).toBe(h3);
    expect(start).toEqual({});
  });
});

describe('CityHistoryState snapshot and restore', () => {
  /** A deterministic stream: three cities, hourly for 60 days, with rainy and dry spells. */
  function stream(): Reading[] {
    const cities = ['tokyo', 'takamatsu', 'nakano'];
    const out: Reading[] = [];
    let n = 0;
    for (let h = 0; h < 60 * 24; h++) {
      for (const city of cities) {
        n++;
        const u = gateValue(`weather:${city}:${Math.floor(h / 24)}`, 1); // one draw per city and day
        const v = gateValue(`weather:${city}:${h}`, 2); // one per hour
        const rainyDay = u < 0.2;
        const main = rainyDay ? (v < 0.5 ? 'Rain' : 'Clouds') : v < 0.1 ? 'Snow' : v < 0.3 ? 'Fog' : 'Clear';
        const description = main === 'Rain' && v < 0.3 ? 'heavy intensity rain' : main.toLowerCase();
        out.push(reading({ id: idOf(n), city, at: T0 + h * HOUR, tz: TOKYO, main, description, temp: 265 + 45 * v, wind: 12 * u }));
      }
    }
    return out;
  }

  it('processing in two halves with a snapshot between gives the same events and state as one run', () => {
    const readings = stream();
    const whole = new CityHistoryState();
    const expected = readings.map((r) => whole.detectAndAdvance(r)?.id ?? 0);
    expect(new Set(expected)).toEqual(new Set([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]));

    const half = Math.floor(readings.length / 2);
    const first = new CityHistoryState();
    const actual = readings.slice(0, half).map((r) => first.detectAndAdvance(r)?.id ?? 0);
    const saved = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    const second = CityHistoryState.restore(saved);
    actual.push(...readings.slice(half).map((r) => second.detectAndAdvance(r)?.id ?? 0));

    expect(actual).toEqual(expected);
    expect(second.snapshot()).toEqual(whole.snapshot());
  });

  it('a snapshot is a copy that later readings do not change', () => {
    const state = new CityHistoryState();
    state.detectAndAdvance(reading({ at: T0 }));
    const snap = state.snapshot();
    state.detectAndAdvance(reading({ at: T0 + HOUR, main: 'Rain' }));
    expect(snap).toEqual({ tokyo: { firstObservedAt: T0 } });
    expect(state.get('tokyo')).toEqual({ firstObservedAt: T0, lastWetAt: T0 + HOUR });
    expect(state.get('osaka')).toEqual({});
  });

  it.each([
    ['not an object', 'tokyo'],
    ['a history that is not an object', { tokyo: 5 }],
    ['a time that is not a number', { tokyo: { firstObservedAt: '2025-01-01' } }],
    ['an unknown field', { tokyo: { firstObservedAt: 1, lastRainAt: 2 } }],
  ])('restore rejects %s', (_name, snapshot) => {
    expect(() => CityHistoryState.restore(snapshot)).toThrow(/invalid city history snapshot: /);
  });
});
