/**
 * A game master's secret variant of the ten rules (`kots challenge new`): the
 * same events, order, conditions and fall-through, with thresholds, gates and
 * hour windows moved within plausible ranges, drawn from a seed. Players cannot
 * read the answers off the repository; the game master can `reveal` them.
 *
 * Ranges keep every event findable in a month of the default cities (each
 * fires at least 20 times, test/agent/simulator/events-coverage.test.ts): a
 * threshold moves a few degrees or m/s, a window a couple of hours, a gate
 * stays between 0.15 and 0.75, and the rare events' gates only go up. The rules keep their shape (the Music of the
 * Wind still needs more wind than the Entrance Stone).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EVENT_IDS, eventById, type EventId } from './catalog.js';
import { ORIGINAL_RULES, type Rule, type RuleSet } from './rules.js';

export interface RuleVariant {
  /** The seed it was drawn from (`kots challenge new --seed`). */
  seed: string;
  drawnAt: string;
  rules: RuleSet;
}

/** A uniform number in [0, 1) for (seed, what). */
function draw(seed: string, what: string): number {
  return createHash('sha256').update(`${seed}:${what}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** A step of `step` between low and high (inclusive), chosen by u. */
const stepBetween = (u: number, low: number, high: number, step: number): number => {
  const steps = Math.round((high - low) / step);
  return Number((low + Math.min(steps, Math.floor(u * (steps + 1))) * step).toFixed(2));
};

const KELVIN = 273.15;
/** Events whose weather is rare in a month of the default cities: the Fish Rain, the Oedipus Prophecy, the Shadowless Man. */
const RARE: ReadonlySet<EventId> = new Set<EventId>([3, 5, 9]);

export function drawVariant(seed: string, now = new Date()): RuleVariant {
  const u = (what: string) => draw(seed, what);
  const gate = (id: EventId) => {
    const p = ORIGINAL_RULES[id].p;
    if (p >= 1) return 1;
    // The rare weathers (heavy rain, storms, clear heat) only move their gate up, or they would fire too seldom to find.
    const low = RARE.has(id) ? p : Math.max(0.15, p - 0.15);
    return stepBetween(u(`p${id}`), low, Math.min(0.75, p + 0.2), 0.05);
  };
  const celsius = (what: string, low: number, high: number) => Number((KELVIN + stepBetween(u(what), low, high, 0.5)).toFixed(2));
  const twoMoonsFrom = stepBetween(u('h2'), 18, 21, 1);
  const spiritFrom = stepBetween(u('h4'), 5, 7, 1);
  const stoneWind = stepBetween(u('w6'), 5, 7, 0.5);
  const libraryLow = stepBetween(u('t7'), 18, 22, 0.5);
  const rules: Record<EventId, Rule> = {
    1: { tempBelow: celsius('t1', -1.5, 1.5), p: gate(1) },
    2: { main: 'Clear', hourFrom: twoMoonsFrom, hourTo: twoMoonsFrom + stepBetween(u('l2'), 2, 3, 1), p: 1 },
    3: { main: 'Rain', description: 'heavy intensity rain', p: gate(3) },
    4: { main: 'Fog', hourFrom: spiritFrom, hourTo: Math.max(spiritFrom + 2, 9), p: 1 },
    5: { main: 'Thunderstorm', p: gate(5) },
    6: { windAbove: stoneWind, p: gate(6) },
    7: {
      tempAbove: Number((KELVIN + libraryLow).toFixed(2)),
      tempBelow: Number((KELVIN + libraryLow + stepBetween(u('r7'), 4, 6, 0.5)).toFixed(2)),
      windBelow: stepBetween(u('w7'), 3, 4.5, 0.5),
      p: gate(7),
    },
    8: { windAbove: stoneWind + stepBetween(u('w8'), 1.5, 3, 0.5), p: gate(8) },
    9: { main: 'Clear', tempAbove: celsius('t9', 28, 30), p: gate(9) },
    10: { main: 'Snow', p: gate(10) },
  };
  return { seed, drawnAt: now.toISOString(), rules: rules as RuleSet };
}

const ruleSchema = z.strictObject({
  main: z.string().optional(),
  description: z.string().optional(),
  tempAbove: z.number().optional(),
  tempBelow: z.number().optional(),
  windAbove: z.number().optional(),
  windBelow: z.number().optional(),
  hourFrom: z.number().int().min(0).max(24).optional(),
  hourTo: z.number().int().min(0).max(24).optional(),
  p: z.number().gt(0).max(1),
});
const variantSchema = z.strictObject({
  seed: z.string(),
  drawnAt: z.string(),
  rules: z.strictObject(Object.fromEntries(EVENT_IDS.map((id) => [String(id), ruleSchema])) as Record<string, typeof ruleSchema>),
});

/** Parses a stored variant; anything else throws a TypeError naming what is wrong. */
export function parseVariant(value: unknown): RuleVariant {
  const parsed = variantSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new TypeError(`not a rules variant: ${problems.join('; ')}`);
  }
  const rules = Object.fromEntries(Object.entries(parsed.data.rules).map(([id, rule]) => [Number(id), stripUndefined(rule)]));
  return { seed: parsed.data.seed, drawnAt: parsed.data.drawnAt, rules: rules as unknown as RuleSet };
}

function stripUndefined(rule: z.infer<typeof ruleSchema>): Rule {
  return Object.fromEntries(Object.entries(rule).filter(([, v]) => v !== undefined)) as unknown as Rule;
}

const sqlText = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** A rule's condition as SQL over the lake's columns (what `kots challenge check --where` takes). */
export function ruleConditionSql(rule: Rule): string {
  const parts: string[] = [];
  if (rule.main !== undefined) parts.push(`weather_main = ${sqlText(rule.main)}`);
  if (rule.description !== undefined) parts.push(`weather_description = ${sqlText(rule.description)}`);
  if (rule.tempAbove !== undefined) parts.push(`main_temp > ${rule.tempAbove}`);
  if (rule.tempBelow !== undefined) parts.push(`main_temp < ${rule.tempBelow}`);
  if (rule.windAbove !== undefined) parts.push(`wind_speed > ${rule.windAbove}`);
  if (rule.windBelow !== undefined) parts.push(`wind_speed < ${rule.windBelow}`);
  if (rule.hourFrom !== undefined) parts.push(`hour(local_time) >= ${rule.hourFrom}`);
  if (rule.hourTo !== undefined) parts.push(`hour(local_time) < ${rule.hourTo}`);
  return parts.join(' AND ') || 'true';
}

export interface RevealedRule {
  id: EventId;
  name: string;
  condition: string;
  gate: number;
}

/** The rules in words a game master reads (and a script parses with --json). */
export function describeRules(rules: RuleSet): RevealedRule[] {
  return EVENT_IDS.map((id) => ({ id, name: eventById(id).name, condition: ruleConditionSql(rules[id]), gate: rules[id].p }));
}
