/**
 * The investigative challenge: score an analyst's hypothesis ("this event
 * fires when <SQL predicate>") against the readings, with precision, recall
 * and a verdict that points at what to look at next without telling the rule.
 *
 * Everything here is computed from the data alone (the `readings` view) and
 * the public event names; it never reads the rules, so it cannot leak more
 * than the lake shows, and it refuses conditions that read the answers.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { EVENTS } from '../consumer/events/catalog.js';
import { KotsError } from '../core/errors.js';
import { sqlString } from './duckdb.js';

export interface EventRef {
  id: number;
  name: string;
}

export interface SliceSpread {
  /** What the matching readings were grouped by. */
  dimension: string;
  /** Lowest and highest share of firings among groups with enough readings. */
  low: number;
  high: number;
  groups: number;
  /** Groups whose share is further from the overall share than chance explains. */
  offGroups: number;
}

export interface HypothesisScore {
  event: EventRef;
  predicate: string;
  readings: number;
  /** Readings that fired the event. */
  fired: number;
  /** Readings the predicate selects. */
  matched: number;
  /** Both. */
  hits: number;
  precision: number;
  recall: number;
  /** Matched readings that fired a different event instead. */
  otherEvent: number;
  spreads: SliceSpread[];
  verdict: string;
}

const MIN_GROUP = 30;

/** Days of data that hold every event's weather somewhere among the default cities (analysis/GUIDE.md). */
const DAYS_FOR_EVERY_EVENT = 30;

/**
 * Finds an event by id, exact name or part of its name among the ten events (their names are
 * public); a part that fits several lists them. An event the data never fired says how many
 * more days to simulate.
 */
export async function resolveEvent(connection: DuckDBConnection, text: string): Promise<EventRef> {
  const wanted = text.trim().toLowerCase().replace(/[-_]+/g, ' ');
  const exact = EVENTS.find((e) => String(e.id) === wanted || e.name.toLowerCase() === wanted || e.name.toLowerCase() === `the ${wanted}`);
  const candidates = exact ? [exact] : EVENTS.filter((e) => e.name.toLowerCase().includes(wanted));
  const [candidate] = candidates;
  if (!candidate) {
    throw new KotsError('USAGE', `no event is called "${text}"; the events: ${EVENTS.map((e) => `${e.id} ${e.name}`).join(', ')}`);
  }
  if (candidates.length > 1) {
    throw new KotsError(
      'USAGE',
      `"${text}" fits ${candidates.length} events: ${candidates.map((e) => `${e.id} ${e.name}`).join(', ')}; give its id or more of its name`,
    );
  }
  const event = { id: candidate.id as number, name: candidate.name };
  const [fired = 0, days = 0] = (
    (await connection.runAndReadAll(`SELECT count(*) FILTER (WHERE event_id = ${event.id}), count(DISTINCT date) FROM readings`)).getRows()[0] ?? []
  ).map(Number);
  if (fired === 0) {
    const more = Math.max(1, DAYS_FOR_EVERY_EVENT - days);
    const advice =
      days < DAYS_FOR_EVERY_EVENT
        ? `simulate about ${more} more day(s) (kots simulate --days ${more} --from the day after your last one)`
        : `its weather may not occur in these cities in this season: simulate the default month, January (kots simulate --days ${DAYS_FOR_EVERY_EVENT})`;
    throw new KotsError('USAGE', `${event.name} has not fired in the ${days} day(s) of data in the lake: ${advice}`);
  }
  return event;
}

/**
 * The answer columns (event_id, event_name, …) and the views that carry only firings would make
 * any condition "right"; a condition on one reading needs no subquery, file or table either.
 */
const ANSWER_WORDS = /event/i;
const SUBQUERY_WORDS = /\b(select|from|with|union|pivot|unpivot|summarize|describe|attach|copy|pragma|install|load)\b/i;

export function checkPredicate(predicate: string): string {
  const text = predicate.trim();
  if (!text) throw new KotsError('USAGE', '--where needs a SQL condition over the readings columns, e.g. "weather_main = \'Rain\'"');
  // One boolean expression, never a second statement.
  if (text.includes(';')) throw new KotsError('USAGE', '--where takes one SQL condition, without ";"');
  const answer = ANSWER_WORDS.exec(text);
  if (answer) {
    const word = /\w*event\w*/i.exec(text)?.[0] ?? answer[0];
    throw new KotsError('USAGE', `refused: the condition uses "${word}", an answer column (event_*) or view; describe the weather, not the answer`);
  }
  const subquery = SUBQUERY_WORDS.exec(text);
  if (subquery)
    throw new KotsError('USAGE', `refused: the condition uses "${subquery[0]}"; give one condition over the columns of a reading, without a query inside`);
  return text;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export async function scoreHypothesis(connection: DuckDBConnection, eventText: string, predicateText: string): Promise<HypothesisScore> {
  const predicate = checkPredicate(predicateText);
  const event = await resolveEvent(connection, eventText);
  // One pass over the readings; the totals and the slices then read a small temp table.
  const scored = `kots_scored_${process.pid}_${Date.now().toString(36)}`;
  try {
    await connection.run(`
      CREATE OR REPLACE TEMP TABLE ${scored} AS
      SELECT city, hour(local_time) AS local_hour, weather_main, date, event_id,
             coalesce((${predicate}), false) AS kots_match, event_id = ${event.id} AS kots_fired
      FROM readings`);
  } catch (error) {
    throw new KotsError(
      'USAGE',
      `the condition ${sqlString(predicate)} is not valid SQL over the readings columns: ${(error as Error).message.split('\n')[0]}`,
      { cause: error },
    );
  }
  try {
    const totals =
      (
        await connection.runAndReadAll(`
        SELECT count(*), count(*) FILTER (WHERE kots_fired), count(*) FILTER (WHERE kots_match), count(*) FILTER (WHERE kots_match AND kots_fired),
               count(*) FILTER (WHERE kots_match AND NOT kots_fired AND event_id > 0)
        FROM ${scored}`)
      ).getRows()[0] ?? [];
    const [readings = 0, fired = 0, matched = 0, hits = 0, otherEvent = 0] = totals.map(Number);
    const spreads: SliceSpread[] = [];
    for (const [dimension, expression] of [
      ['city', 'city'],
      ['local hour', 'local_hour'],
      ['weather_main', 'weather_main'],
      ['date', 'date'],
    ] as const) {
      // Readings that fired another event could not have fired this one: they are left out of the shares.
      // A group is "off" when its share differs from the overall one by more than 3 standard errors (plus 5 points):
      // sampling noise around a coin toss stays inside, a condition that does not hold there does not.
      const reader = await connection.runAndReadAll(`
        WITH free AS (SELECT * FROM ${scored} WHERE kots_match AND (event_id = 0 OR kots_fired)),
        overall AS (SELECT avg(kots_fired::INTEGER) AS p FROM free),
        g AS (SELECT ${expression} AS k, count(*) AS n, avg(kots_fired::INTEGER) AS share FROM free GROUP BY 1 HAVING count(*) >= ${MIN_GROUP})
        SELECT coalesce(min(share), 0), coalesce(max(share), 0), count(*),
               count(*) FILTER (WHERE abs(share - p) > 3 * sqrt(p * (1 - p) / n) + 0.05)
        FROM g, overall`);
      const [low = 0, high = 0, groups = 0, offGroups = 0] = (reader.getRows()[0] ?? []).map(Number);
      if (groups >= 2) spreads.push({ dimension, low, high, groups, offGroups });
    }
    const score = { event, predicate, readings, fired, matched, hits, precision: ratio(hits, matched), recall: ratio(hits, fired), otherEvent, spreads };
    return { ...score, verdict: verdictOf(score) };
  } finally {
    await connection.run(`DROP TABLE IF EXISTS ${scored}`);
  }
}
/** What the numbers suggest, in words that point at the next query, never at the rule. */
export function verdictOf(s: Omit<HypothesisScore, 'verdict'>): string {
  const lines: string[] = [];
  if (s.fired === 0) return `No reading fired ${s.event.name} in this data: generate more (kots simulate --days 30) and look again.`;
  if (s.matched === 0)
    return "Your condition selects no reading at all: check the column names and units (temperatures are Kelvin, wind m/s, local_time is the city's clock).";
  if (s.recall < 1) {
    const missed = s.fired - s.hits;
    lines.push(
      `Your condition misses ${missed} of the ${s.fired} firings (recall ${pct(s.recall)}): the event also fires outside it. ` +
        `Look at the ones you miss: SELECT * FROM events WHERE event_id = ${s.event.id} AND NOT (${s.predicate}).`,
    );
  } else {
    lines.push(`Your condition covers all ${s.fired} firings.`);
  }
  const misses = s.matched - s.hits;
  if (misses === 0) {
    lines.push(
      s.recall === 1
        ? 'And it selects nothing else: precision and recall are both 100%. Solved.'
        : 'Everything it selects did fire: it is right, but too narrow.',
    );
    return lines.join(' ');
  }
  lines.push(
    `It also selects ${misses} readings that did not fire (${ratio(misses, s.hits).toFixed(1)}× as many as the firings it catches; precision ${pct(s.precision)}).`,
  );
  if (s.otherEvent > 0) {
    lines.push(`${s.otherEvent} of those fired another event instead: a reading never fires two, so which one wins when both could?`);
  }
  const eligible = misses - s.otherEvent;
  if (eligible === 0 && s.recall === 1) {
    lines.push('Every selected reading that was free to fire did: once the competition is accounted for, your condition is the whole story.');
  }
  if (eligible > 0 && s.recall === 1) {
    const uneven = s.spreads.filter((x) => x.offGroups > 0);
    const even = s.spreads.length > 0 && uneven.length === 0 && ratio(s.hits, s.hits + eligible) < 0.95;
    if (uneven.length > 0) {
      lines.push(
        `Within your condition the share that fires swings from ${pct(Math.min(...uneven.map((x) => x.low)))} to ${pct(Math.max(...uneven.map((x) => x.high)))} ` +
          `across ${uneven.map((x) => x.dimension).join(' and ')}: the condition is still too broad there. Group the non-firings by those columns.`,
      );
    } else if (even) {
      lines.push(
        `The share that fires stays between ${pct(Math.min(...s.spreads.map((x) => x.low)))} and ${pct(Math.max(...s.spreads.map((x) => x.high)))} whatever the city, hour, weather or day: ` +
          'when the weather is right it fires only some of the time. Is there a gate, a roll of the dice? (Readings fired by another event are left out of these shares.)',
      );
    } else {
      lines.push(
        'Compare the readings that fired with those that did not, inside your condition: what else sets them apart (history of the city, time, other columns)?',
      );
    }
  }
  return lines.join(' ');
}

export function formatScore(s: HypothesisScore): string {
  return [
    `event      ${s.event.id} ${s.event.name}`,
    `condition  ${s.predicate}`,
    `readings   ${s.readings} · fired ${s.fired} · selected by your condition ${s.matched} · both ${s.hits}`,
    `recall     ${pct(s.recall)}  (firings your condition covers)`,
    `precision  ${pct(s.precision)}  (selected readings that fired)`,
    '',
    s.verdict,
  ].join('\n');
}
