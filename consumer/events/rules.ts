/**
 * Surreal event rules: which event, if any, a weather reading fires.
 *
 * The ten rules are those of the original project's `surreal_events.py` (final
 * version; the table in docs/design.md "Surreal events" and README.md here):
 * - tried in id order 1..10; an event fires when its condition holds AND its
 *   gate passes; the first that fires wins, else no event (event_id 0);
 * - a condition that holds but whose gate fails falls through to the next rule.
 *
 * Our two deliberate differences from the original (README.md says why):
 * - the gate value is a hash of (reading id, event id) in [0, 1), never
 *   `random()`: a replay, a restart or another consumer gives the same answer;
 * - "hour" is the city's local hour (observed_at + weather.timezone), not the
 *   UTC clock of the machine that produced the reading.
 *
 * A rule is data (`Rule`), so a game master's secret variant (variant.ts) is the
 * same ten rules with other numbers. Everything here is pure.
 */
import { createHash } from 'node:crypto';
import type { Reading } from '../../core/reading.js';
import { EVENTS, type EventId, type SurrealEvent } from './catalog.js';

/** One event's condition and gate. Every bound is strict except hourFrom (from ≤ hour < to). */
export interface Rule {
  /** weather[0].main must equal this. */
  readonly main?: string;
  /** weather[0].description must equal this. */
  readonly description?: string;
  /** Kelvin: temp > tempAbove. */
  readonly tempAbove?: number;
  /** Kelvin: temp < tempBelow. */
  readonly tempBelow?: number;
  /** m/s: wind > windAbove. */
  readonly windAbove?: number;
  /** m/s: wind < windBelow. */
  readonly windBelow?: number;
  /** Local hour window hourFrom ≤ hour < hourTo (never wraps midnight). */
  readonly hourFrom?: number;
  readonly hourTo?: number;
  /** Probability gate: fires when the reading's gate value is below p (1 = always). */
  readonly p: number;
}

/** The ten rules of one game, in checking order. */
export type RuleSet = Readonly<Record<EventId, Rule>>;

/** The original project's rules, exactly (docs/design.md "Surreal events"). The default. */
export const ORIGINAL_RULES: RuleSet = Object.freeze({
  1: { tempBelow: 273.15, p: 0.3 },
  2: { main: 'Clear', hourFrom: 20, hourTo: 22, p: 1 },
  3: { main: 'Rain', description: 'heavy intensity rain', p: 0.25 },
  4: { main: 'Fog', hourFrom: 6, hourTo: 9, p: 1 },
  5: { main: 'Thunderstorm', p: 0.4 },
  6: { windAbove: 6, p: 0.35 },
  7: { tempAbove: 293.15, tempBelow: 298.15, windBelow: 3.5, p: 0.45 },
  8: { windAbove: 8, p: 0.5 },
  9: { main: 'Clear', tempAbove: 303.15, p: 0.4 },
  10: { main: 'Snow', p: 0.3 },
});

export interface DetectedEvent extends SurrealEvent {
  /** The gate value that let it fire (always below the rule's p). */
  readonly gate: number;
}

/** The few values the conditions look at, each undefined when the reading lacks it. */
export interface Facts {
  readonly main: string | undefined;
  readonly description: string | undefined;
  readonly temp: number | undefined;
  readonly wind: number | undefined;
  readonly hour: number | undefined;
}

/** Does the rule's weather condition hold? A missing field makes every bound on it false. */
export function conditionHolds(rule: Rule, f: Facts): boolean {
  if (rule.main !== undefined && f.main !== rule.main) return false;
  if (rule.description !== undefined && f.description !== rule.description) return false;
  if (rule.tempAbove !== undefined && !(f.temp !== undefined && f.temp > rule.tempAbove)) return false;
  if (rule.tempBelow !== undefined && !(f.temp !== undefined && f.temp < rule.tempBelow)) return false;
  if (rule.windAbove !== undefined && !(f.wind !== undefined && f.wind > rule.windAbove)) return false;
  if (rule.windBelow !== undefined && !(f.wind !== undefined && f.wind < rule.windBelow)) return false;
  if (rule.hourFrom !== undefined && !(f.hour !== undefined && f.hour >= rule.hourFrom)) return false;
  if (rule.hourTo !== undefined && !(f.hour !== undefined && f.hour < rule.hourTo)) return false;
  return true;
}

/** The city's local hour (0..23) at observation: observed_at plus weather.timezone seconds, read in UTC. */
export function localHour(reading: Reading): number | undefined {
  const ms = Date.parse(reading.observed_at);
  if (!Number.isFinite(ms)) return undefined;
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

export function factsOf(reading: Reading): Facts {
  const condition = reading.weather.weather[0];
  return {
    main: condition?.main,
    description: condition?.description,
    temp: reading.weather.main.temp,
    wind: reading.weather.wind?.speed,
    hour: localHour(reading),
  };
}

/** The event this reading fires under `rules` (the original by default), or undefined (event_id 0 in the lake). */
export function detectEvent(reading: Reading, rules: RuleSet = ORIGINAL_RULES): DetectedEvent | undefined {
  const facts = factsOf(reading);
  for (const event of EVENTS) {
    const rule = rules[event.id];
    if (!conditionHolds(rule, facts)) continue;
    const gate = gateValue(reading.id, event.id);
    if (gate < rule.p) return { ...event, gate };
  }
  return undefined;
}
