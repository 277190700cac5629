/**
 * Per-city history for the event rules, held by whoever consumes a Kafka
 * partition. Cities are the Kafka key, so one partition holds all of a city's
 * readings in order; the consumer keeps one CityHistoryState per partition,
 * saves `snapshot()` together with the offset it commits, and `restore`s it
 * when the partition is (re)assigned. Replaying the readings after that offset
 * then gives exactly the events a single uninterrupted run would have given.
 */
import { z } from 'zod';
import type { Reading } from '../../core/reading.js';
import { advanceHistory, detectEvent, type CityHistory, type DetectedEvent } from './rules.js';

/** JSON form of a CityHistoryState: city slug → history. */
export type CityHistorySnapshot = Record<string, CityHistory>;

const epochMs = z.number().int().nonnegative();
const snapshotSchema = z.record(
  z.string(),
  z.strictObject({ firstObservedAt: epochMs.optional(), lastWetAt: epochMs.optional() }),
);

export class CityHistoryState {
  readonly #cities = new Map<string, CityHistory>();

  /** Detects the reading's event against the city's earlier readings, then records the reading. */
  detectAndAdvance(reading: Reading): DetectedEvent | undefined {
    const slug = reading.city.slug;
    const history = this.get(slug);
    const event = detectEvent(reading, history);
    this.#cities.set(slug, advanceHistory(history, reading));
    return event;
  }

  /** The city's history so far ({} for a city not seen yet). */
  get(citySlug: string): CityHistory {
    return this.#cities.get(citySlug) ?? {};
  }

  /** A plain JSON-serialisable copy; later readings do not change it. */
  snapshot(): CityHistorySnapshot {
    const out: CityHistorySnapshot = {};
    for (const [slug, history] of this.#cities) out[slug] = { ...history };
    return out;
  }

  /**
   * A state equal to the one the snapshot was taken from. Accepts parsed JSON;
   * anything not shaped like a snapshot throws a TypeError naming the bad path.
   */
  static restore(snapshot: unknown): CityHistoryState {
    const parsed = snapshotSchema.safeParse(snapshot);
    if (!parsed.success) {
      const problems = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new TypeError(`invalid city history snapshot: ${problems.join('; ')}`);
    }
    const state = new CityHistoryState();
    for (const [slug, history] of Object.entries(parsed.data)) state.#cities.set(slug, { ...history });
    return state;
  }
}
