/**
 * Consolidation of the simulated days, started while the simulation still
 * runs: the pipeline mostly waits on acknowledgements and fsyncs, so DuckDB
 * can compact the days every city has left behind in the meantime. A day is
 * taken once every city has raw files SETTLED_DAYS later (a device's readings
 * arrive in order, and one batch spans less than that). A reading that still
 * arrives for a consolidated day is only a new raw file: the final pass, over
 * every day, merges it (consolidation is incremental), so the early passes
 * can only save time, never lose or double a reading.
 */
import type { KotsConfig } from '../../core/config/index.js';
import { RAW_WEATHER_PREFIX, parseRawObjectKey, type Lake } from '../../core/lake/index.js';
import { consolidateDay, dateRange } from '../../lakehouse/consolidate.js';
import { openDuck } from '../../lakehouse/duckdb.js';

const SETTLED_DAYS = 3;
const LOOK_EVERY_MS = 2_000;

export interface ConsolidationSummary {
  readings: number;
  cityDays: number;
}

export class SimulatedDaysConsolidation {
  private readonly days: string[];
  private readonly done = new Set<string>();
  private duck: Awaited<ReturnType<typeof openDuck>> | undefined;
  private running: Promise<void> | undefined;
  private lastLook = 0;
  private failure: unknown;

  constructor(
    private readonly config: KotsConfig,
    private readonly lake: Lake,
    firstDay: string,
    lastDay: string,
    private readonly cities: number,
  ) {
    this.days = dateRange(firstDay, lastDay);
  }

  /** Called often while the simulation runs; starts a pass over the settled days now and then. */
  poke(): void {
    const now = Date.now();
    if (this.running || this.failure || now - this.lastLook < LOOK_EVERY_MS) return;
    this.lastLook = now;
    this.running = this.settledPass()
      .catch((error: unknown) => {
        // The final pass reports it (and retries the day); an early pass is only an optimisation.
        this.failure = error;
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Waits for the pass in progress, if any. */
  async finishEarlyPass(): Promise<void> {
    await this.running;
  }

  /** Waits for a pass in progress, then consolidates every simulated day (the settled ones are quick: new raw files only). */
  async finish(onDay?: (day: string) => void): Promise<ConsolidationSummary> {
    await this.running;
    let readings = 0;
    let cityDays = 0;
    try {
      for (const day of this.days) {
        onDay?.(day);
        for (const result of await this.consolidate(day)) {
          readings += result.rows;
          if (result.status !== 'empty') cityDays++;
        }
      }
    } finally {
      this.duck?.close();
      this.duck = undefined;
    }
    return { readings, cityDays };
  }

  private async settledPass(): Promise<void> {
    const latest = new Map<string, string>();
    for (const key of await this.lake.list(RAW_WEATHER_PREFIX)) {
      const name = parseRawObjectKey(key);
      if (name && (latest.get(name.city) ?? '') < name.date) latest.set(name.city, name.date);
    }
    if (latest.size < this.cities) return;
    const [oldestLatest] = [...latest.values()].sort();
    if (oldestLatest === undefined) return;
    const settledUntil = new Date(Date.parse(`${oldestLatest}T00:00:00Z`) - SETTLED_DAYS * 86_400_000).toISOString().slice(0, 10);
    for (const day of this.days) {
      if (day > settledUntil) break;
      if (this.done.has(day)) continue;
      await this.consolidate(day);
      this.done.add(day);
    }
  }

  private async consolidate(day: string) {
    this.duck ??= await openDuck(this.config);
    return consolidateDay({ lake: this.lake, connection: this.duck.connection, retentionHours: this.config.consolidate.rawRetentionHours }, day);
  }
}
