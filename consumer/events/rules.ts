/**
 * Surreal event rules: which event, if any, a weather reading fires.
 *
 * Semantics (issue 5, "Surreal events"):
 * - Events are tried in id order 1..10. An event fires when its weather
 *   condition holds AND its probability gate passes; the first one that fires
 *   ends the walk, so a reading fires at most one event.
 * - A condition that holds but whose gate fails does not end the walk: the
 *   next event is tried. A cold, windy reading whose Cat Whisperer gate fails
 *   can still open The Entrance Stone. (Stopping at the first holding condition
 *   would make every gate-failed cold reading eventless, and events later in
 *   the table would be rarer than their p says for no weather reason.)
 * - The gate value is a deterministic hash of (reading id, event id) mapped to
 *   [0, 1); the gate passes when value < p. p = 1 always passes. No randomness,
 *   so a replay, a restart or another consumer gives the same answer.
 * - "Hour" is the city's local hour: observed_at shifted by weather.timezone
 *   seconds. Temperatures are Kelvin, wind m/s; bounds are exactly as written.
 * - A missing field (no temp, no wind, empty weather[]) makes the conditions
 *   that need it false; it never throws.
 * - The Fish Rain reads the city's history of EARLIER readings (CityHistory);
 *   fold each reading into it with advanceHistory only after detecting its event.
 *
 * Everything here is pure; the per-city state lives in state.ts.
 */
import { createHash } from 'node:crypto';
import type { Reading } from '../../core/reading.js';
import { EVENTS, type EventId, type SurrealEvent } from './catalog.js';

/** What the rules remember of a city's earlier readings (all times epoch ms of observed_at). */
export interface CityHistory {
  /** The earliest observed_at of the city's readings so far. */
  readonly firstObservedAt?: number;
  /** The latest observed_at of the city's Rain, Drizzle or Thunderstorm readings so far. */
  readonly lastWetAt?: number;
}

export interface DetectedEvent extends SurrealEvent {
  /** The gate value that let it fire (always below p); kept so analysts can check the gates. */
  readonly gate: number;
}

const HOUR_MS = 3_600_000;
/** The Fish Rain's dry spell must be longer than this, and the city must have reported at least this long. */
export const FISH_RAIN_WINDOW_MS = 72 * HOUR_MS;
const WET_MAINS: ReadonlySet<string> = new Set(['Rain', 'Drizzle', 'Thunderstorm']);

/** The few values the conditions look at, each undefined when the reading lacks it. */
interface Facts {
  readonly main: string | undefined;
  readonly description: string | undefined;
  readonly temp: number | undefined;
  readonly wind: number | undefined;
  readonly hour: number | undefined;
  readonly observedAt: number | undefined;
}

type Condition = (facts: Facts, history: CityHistory) => boolean;

const between = (value: number | undefined, low: number, high: number): boolean =>
  value !== undefined && low < value && value < high;

const CONDITIONS: Readonly<Record<EventId, Condition>> = {
  1: ({ temp }) => temp !== undefined && temp < 273.15,
  2: ({ main, hour }) => main === 'Clear' && hour !== undefined && hour >= 20 && hour < 22,
  3: (facts, history) => facts.main === 'Rain' && facts.description === 'heavy intensity rain' && afterDrySpell(facts.observedAt, history),
  4: ({ main, hour }) => main === 'Fog' && hour !== undefined && hour >= 6 && hour < 9,
  5: ({ main }) => main === 'Thunderstorm',
  6: ({ wind }) => wind !== undefined && wind > 6,
  7: ({ temp, wind }) => between(temp, 293.15, 298.15) && wind !== undefined && wind < 3.5,
  8: ({ wind }) => wind !== undefined && wind > 8,
  9: ({ main, temp }) => main === 'Clear' && temp !== undefined && temp > 303.15,
  10: ({ main }) => main === 'Snow',
};

/**
 * The city has reported for at least 72 h, and its latest earlier wet reading
 * is more than 72 h older. A city that never reported wet weather has been dry
 * for its whole reporting period, which is then at least 72 h, so it qualifies.
 */
function afterDrySpell(observedAt: number | undefined, history: CityHistory): boolean {
  if (observedAt === undefined || history.firstObservedAt === undefined) return false;
  if (observedAt - history.firstObservedAt < FISH_RAIN_WINDOW_MS) return false;
  return history.lastWetAt === undefined || observedAt - history.lastWetAt > FISH_RAIN_WINDOW_MS;
}

/** observed_at in epoch ms, or undefined when it does not parse. */
function observedAtMs(reading: Reading): number | undefined {
  const ms = Date.parse(reading.observed_at);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The city's local hour (0..23) at observation: observed_at plus weather.timezone seconds, read in UTC. */
export function localHour(reading: Reading): number | undefined {
  const ms = observedAtMs(reading);
  if (ms === undefined) return undefined;
  return new Date(ms + reading.weather.timezone * 1000).getUTCHours();
}

/**
 * The gate value of a reading for one event: the first 52 bits of
 * sha256(`${readingId}:${eventId}`) divided by 2^52, uniform in [0, 1).
 */
export function gateValue(readingId: string, eventId: EventId): number {
  const digest = createHash('sha256').update(`${readingId}:${eventId}`).digest();
  // 48 bits from the first six bytes, then the high nibble of the seventh: 52 bits, exact in a double.
  const high48 = digest.readUIntBE(0, 6);
  const low4 = (digest[6] ?? 0) >> 4;
  return (high48 * 16 + low4) / 2 ** 52;
}

function factsOf(reading: Reading): Facts {
  const condition = reading.weather.weather[0];
  return {
    main: condition?.main,
    description: condition?.description,
    temp: reading.weather.main.temp,
    wind: reading.weather.wind?.speed,
    hour: localHour(reading),
    observedAt: observedAtMs(reading),
  };
}

/**
 * The event this reading fires, or undefined (event_id 0 in the lake).
 * `history` is the city's history of earlier readings, before this one.
 */
export function detectEvent(reading: Reading, history: CityHistory): DetectedEvent | undefined {
  const facts = factsOf(reading);
  for (const event of EVENTS) {
    if (!CONDITIONS[event.id](facts, history)) continue;
    const gate = gateValue(reading.id, event.id);
    if (gate < event.p) return { ...event, gate };
  }
  return undefined;
}

/**
 * The city's history after this reading, for the readings that follow it.
 * Pure: returns a new object (or the same one when nothing changes).
 */
export function advanceHistory(history: CityHistory, reading: Reading): CityHistory {
  const at = observedAtMs(reading);
  if (at === undefined) return history;
  const main = reading.weather.weather[0]?.main;
  const wet = main !== undefined && WET_MAINS.has(main);
  const firstObservedAt = history.firstObservedAt === undefined ? at : Math.min(history.firstObservedAt, at);
  const lastWetAt = !wet ? history.lastWetAt : history.lastWetAt === undefined ? at : Math.max(history.lastWetAt, at);
  if (firstObservedAt === history.firstObservedAt && lastWetAt === history.lastWetAt) return history;
  return lastWetAt === undefined ? { firstObservedAt } : { firstObservedAt, lastWetAt };
}
