/**
 * Every event findable (issue 15): in the default month of `kots simulate --days 30`, the
 * simulated weather of the eight default cities, labelled by the original rules, fires each of
 * the ten events at least 20 times. Reading ids are made from a hash, so the gates, like the
 * weather, are the same on every run; the margin above 20 is printed when it fails.
 */
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CITIES, resolveCity } from '../../../agent/cities.js';
import { buildReading } from '../../../agent/reading.js';
import { WeatherSimulator } from '../../../agent/simulator/simulator.js';
import { DEFAULT_SIMULATION_FROM } from '../../../cli/commands/simulate.js';
import { EVENTS, ORIGINAL_RULES, detectEvent, type RuleSet } from '../../../consumer/events/index.js';
import { drawVariant } from '../../../consumer/events/variant.js';

const DAYS = 30;
const INTERVAL_MS = 10 * 60_000;

function firingsPerEvent(seed: number, rules: RuleSet = ORIGINAL_RULES): Map<number, number> {
  const from = Date.parse(`${DEFAULT_SIMULATION_FROM}T00:00:00Z`);
  const counts = new Map<number, number>();
  DEFAULT_CITIES.map(resolveCity).forEach((city, index) => {
    const simulator = new WeatherSimulator(city, seed + index);
    let seq = 0;
    for (let t = from; t < from + DAYS * 86_400_000; t += INTERVAL_MS) {
      const at = new Date(t);
      const random = createHash('sha256').update(`${seed}:${city.slug}:${seq}`).digest().subarray(0, 16);
      const reading = {
        ...buildReading({ deviceId: `sim-${city.slug}`, city, source: 'simulated' }, seq++, at, simulator.at(at)),
        id: uuidv7({ msecs: t, random }),
      };
      const id = detectEvent(reading, rules)?.id ?? 0;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  });
  return counts;
}

describe('a simulated month of the eight default cities', () => {
  it.each([1, 7])('fires every one of the ten events at least 20 times (seed %i)', (seed) => {
    const counts = firingsPerEvent(seed);
    const table = EVENTS.map((e) => `${e.id} ${e.name}: ${counts.get(e.id) ?? 0}`).join('\n');
    for (const event of EVENTS) expect(counts.get(event.id) ?? 0, table).toBeGreaterThanOrEqual(20);
  });

  it.each(['game-1', 'game-2', 'game-3'])('fires every event at least 20 times under a game master’s variant too (seed %s)', (seed) => {
    const counts = firingsPerEvent(1, drawVariant(seed).rules);
    const table = EVENTS.map((e) => `${e.id} ${e.name}: ${counts.get(e.id) ?? 0}`).join('\n');
    for (const event of EVENTS) expect(counts.get(event.id) ?? 0, table).toBeGreaterThanOrEqual(20);
  });
});
