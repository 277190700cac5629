import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readingSchema, type Reading } from '../../../core/reading.js';
import { EVENTS, ORIGINAL_RULES, detectEvent, gateValue, localHour, type EventId } from '../../../consumer/events/index.js';

const TOKYO = 32_400;

/** A UUIDv7-looking id made from a counter: the same n always gives the same id. */
const idOf = (n: number): string => `01940000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;

/** The first counter id whose gates pass (true) or fail (false) as asked; events not named are free. */
function findId(want: Partial<Record<EventId, boolean>>): string {
  const wanted = Object.entries(want).map(([id, pass]) => [Number(id) as EventId, pass] as const);
  for (let n = 0; n < 1_000_000; n++) {
    const id = idOf(n);
    if (wanted.every(([eventId, pass]) => gateValue(id, eventId) < ORIGINAL_RULES[eventId].p === pass)) return id;
  }
  throw new Error(`no id with gates ${JSON.stringify(want)}`);
}

const ALL_PASS = findId(Object.fromEntries(EVENTS.map((e) => [e.id, true])));
const ALL_FAIL = findId(Object.fromEntries(EVENTS.filter((e) => ORIGINAL_RULES[e.id].p < 1).map((e) => [e.id, false])));

interface ReadingSpec {
  id?: string;
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
    city: { slug: 'tokyo', name: 'Tokyo' },
    source: 'simulated',
    seq: 0,
    observed_at: new Date(spec.at ?? Date.UTC(2025, 0, 1)).toISOString(),
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

interface OriginalFacts {
  temp?: number;
  wind?: number;
  main?: string;
  description?: string;
  hour: number;
}

interface OriginalRule {
  id: number;
  name: string;
  holds: (f: OriginalFacts) => boolean;
  gate: number | undefined;
}

/**
 * The original project's rules, read from the table in docs/design.md ("Surreal events"), which is
 * its surreal_events.py in its final version: one condition per row ("a and b", each part one of
 * `temp < X`, `X < temp < Y`, `wind > X`, `main = V`, `description = V`, `A ≤ hour < B`) and a gate.
 */
function originalTable(): OriginalRule[] {
  const design = readFileSync(new URL('../../../docs/design.md', import.meta.url), 'utf8');
  const section = design.slice(design.indexOf('## Surreal events'));
  const rows = [...section.matchAll(/^\| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$/gm)];
  return rows.map(([, id, name, condition, gate]) => {
    const parts = condition!
      .trim()
      .split(' and ')
      .map((part): ((f: OriginalFacts) => boolean) => {
        const equals = /^(\w+) = (.+)$/.exec(part);
        if (equals) {
          const [, field, value] = equals;
          return (f) => (field === 'main' ? f.main : f.description) === value;
        }
        const hours = /^([\d.]+) ≤ hour < ([\d.]+)$/.exec(part);
        if (hours) {
          const [low, high] = [Number(hours[1]), Number(hours[2])];
          return (f) => f.hour >= low && f.hour < high;
        }
        const range = /^([\d.]+) < (temp|wind) < ([\d.]+)$/.exec(part);
        if (range) {
          const [low, field, high] = [Number(range[1]), range[2] as 'temp' | 'wind', Number(range[3])];
          return (f) => f[field] !== undefined && low < f[field]! && f[field]! < high;
        }
        const bounded = /^(temp|wind) ([<>]) ([\d.]+)$/.exec(part);
        if (bounded) {
          const [field, op, bound] = [bounded[1] as 'temp' | 'wind', bounded[2], Number(bounded[3])];
          return (f) => f[field] !== undefined && (op === '<' ? f[field]! < bound : f[field]! > bound);
        }
        throw new Error(`docs/design.md: cannot read the condition part "${part}"`);
      });
    return { id: Number(id), name: name!.trim(), holds: (f) => parts.every((p) => p(f)), gate: gate!.trim() === 'none' ? undefined : Number(gate) };
  });
}

const ORIGINAL = originalTable();

/** The original's walk: rules in order, `random() < gate` (here the reading's draw for that rule), first match wins, else 0. */
function originalEvent(f: OriginalFacts, draw: (id: EventId) => number): number {
  for (const rule of ORIGINAL) {
    if (rule.holds(f) && (rule.gate === undefined || draw(rule.id as EventId) < rule.gate)) return rule.id;
  }
  return 0;
}

describe('the ten rules are the original ones (docs/design.md table)', () => {
  it('has the original events, order and gates', () => {
    expect(ORIGINAL.map((r) => [r.id, r.name, r.gate ?? 1])).toEqual(EVENTS.map((e) => [e.id, e.name, ORIGINAL_RULES[e.id].p]));
    expect(EVENTS.map((e) => [e.id, e.name, ORIGINAL_RULES[e.id].p])).toEqual([
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
  });

  it('gives the same event as the original, case by case at every boundary, for gates passing and failing', () => {
    const temps = [undefined, 250, 273.14, 273.15, 273.16, 293.14, 293.15, 293.16, 298.14, 298.15, 298.16, 303.14, 303.15, 303.16, 310];
    const winds = [undefined, 0, 3.49, 3.5, 3.51, 5.99, 6, 6.01, 7.99, 8, 8.01, 15];
    const weathers: Array<[string | undefined, string | undefined]> = [
      [undefined, undefined],
      ['Clear', 'clear sky'],
      ['Clouds', 'few clouds'],
      ['Rain', 'heavy intensity rain'],
      ['Rain', 'moderate rain'],
      ['Rain', 'very heavy rain'],
      ['Drizzle', 'heavy intensity drizzle'],
      ['Fog', 'fog'],
      ['Mist', 'mist'],
      ['Thunderstorm', 'thunderstorm'],
      ['Snow', 'snow'],
    ];
    const hours = [0, 5, 6, 8, 9, 12, 19, 20, 21, 22, 23];
    // Ids whose gates pass everywhere, fail everywhere, and a spread of mixed ones.
    const ids = [ALL_PASS, ALL_FAIL, ...Array.from({ length: 6 }, (_, n) => idOf(5000 + n))];
    let cases = 0;
    const firedKinds = new Set<number>();
    for (const temp of temps)
      for (const wind of winds)
        for (const [main, description] of weathers)
          for (const hour of hours)
            for (const id of ids) {
              const r = reading({ id, temp, wind, main, description, tz: TOKYO, at: tokyoLocal(hour, 30) });
              const expected = originalEvent(
                {
                  ...(temp === undefined ? {} : { temp }),
                  ...(wind === undefined ? {} : { wind }),
                  ...(main === undefined ? {} : { main }),
                  ...(description === undefined ? {} : { description }),
                  hour,
                },
                (eventId) => gateValue(id, eventId),
              );
              const actual = detectEvent(r)?.id ?? 0;
              if (actual !== expected)
                expect.fail(`temp ${temp} wind ${wind} ${main}/${description} local hour ${hour} id ${id}: ours ${actual}, original ${expected}`);
              firedKinds.add(actual);
              cases++;
            }
    expect(cases).toBe(temps.length * winds.length * weathers.length * hours.length * ids.length);
    expect([...firedKinds].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  const cases: Array<[string, ReadingSpec, EventId | undefined]> = [
    ['nothing measured', {}, undefined],
    ['temp 273.14 is below freezing', { temp: 273.14 }, 1],
    ['temp 273.15 is not', { temp: 273.15 }, undefined],
    ['Clear at local 19:59', { main: 'Clear', tz: TOKYO, at: tokyoLocal(19, 59) }, undefined],
    ['Clear at local 20:00', { main: 'Clear', tz: TOKYO, at: tokyoLocal(20) }, 2],
    ['Clear at local 21:59', { main: 'Clear', tz: TOKYO, at: tokyoLocal(21, 59) }, 2],
    ['Clear at local 22:00', { main: 'Clear', tz: TOKYO, at: tokyoLocal(22) }, undefined],
    ['Clear at 20:00 UTC is 05:00 in Tokyo', { main: 'Clear', tz: TOKYO, at: Date.UTC(2025, 5, 1, 20) }, undefined],
    ['heavy intensity rain', { main: 'Rain', description: 'heavy intensity rain' }, 3],
    ['very heavy rain is not', { main: 'Rain', description: 'very heavy rain' }, undefined],
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
    ['temp 298.15, still', { temp: 298.15, wind: 1 }, undefined],
    ['temp 295, wind 3.5', { temp: 295, wind: 3.5 }, undefined],
    ['temp 295, no wind measured', { temp: 295 }, undefined],
    ['Clear, temp 303.15', { main: 'Clear', temp: 303.15, tz: TOKYO, at: tokyoLocal(12) }, undefined],
    ['Clear, temp 303.16', { main: 'Clear', temp: 303.16, tz: TOKYO, at: tokyoLocal(12) }, 9],
    ['Clear, temp 310 at local 20:00 is Two Moons first', { main: 'Clear', temp: 310, tz: TOKYO, at: tokyoLocal(20) }, 2],
    ['Snow', { main: 'Snow' }, 10],
  ];
  it.each(cases)('%s (all gates pass)', (_name, spec, expected) => {
    expect(detectEvent(reading(spec))?.id).toBe(expected);
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

describe('gates', () => {
  it('give the same value for the same reading and event, every time', () => {
    const id = idOf(42);
    expect(gateValue(id, 3)).toBe(gateValue(id, 3));
    expect(gateValue(id, 3)).not.toBe(gateValue(id, 4));
    const r = reading({ id, temp: 250, wind: 9 });
    expect(detectEvent(r)).toEqual(detectEvent(structuredClone(r)));
  });

  it('are uniform in [0, 1) and pass about p of 20,000 readings', () => {
    const ids = Array.from({ length: 20_000 }, (_, n) => idOf(1_000_000 + n));
    for (const event of EVENTS) {
      const p = ORIGINAL_RULES[event.id].p;
      const values = ids.map((id) => gateValue(id, event.id));
      expect(values.every((u) => u >= 0 && u < 1)).toBe(true);
      const passRate = values.filter((u) => u < p).length / values.length;
      // 3.5 standard deviations at p = 0.5 and n = 20,000 is about 0.0124.
      expect(Math.abs(passRate - p)).toBeLessThan(0.0125);
    }
  });

  it('a gate that fails lets the walk go on to the next event whose condition holds', () => {
    const coldWindy = { temp: 250, wind: 9 };
    expect(detectEvent(reading({ ...coldWindy, id: findId({ 1: true }) }))?.id).toBe(1);
    expect(detectEvent(reading({ ...coldWindy, id: findId({ 1: false, 6: true }) }))?.id).toBe(6);
    expect(detectEvent(reading({ ...coldWindy, id: findId({ 1: false, 6: false, 8: true }) }))?.id).toBe(8);
    expect(detectEvent(reading({ ...coldWindy, id: ALL_FAIL }))).toBeUndefined();
  });

  it('p = 1 always fires, whatever the id', () => {
    expect(detectEvent(reading({ main: 'Fog', tz: TOKYO, at: tokyoLocal(7), id: ALL_FAIL }))?.id).toBe(4);
  });

  it('a detected event carries its catalog entry and the gate value below p', () => {
    const event = detectEvent(reading({ main: 'Snow' }));
    expect(event).toMatchObject({ id: 10, name: 'The Talking Crow', newsflash: EVENTS[9]!.newsflash });
    expect(event!.gate).toBeLessThan(0.3);
  });
});
