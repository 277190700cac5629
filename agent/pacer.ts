/**
 * When the next reading is taken. Real time: a random wait, uniform between
 * the configured minimum and maximum, the first one too (so a fleet that boots
 * together does not publish in lock-step). Simulated time (`kots simulate`):
 * the same random steps on a virtual clock that runs from a date in the past,
 * as fast as the broker acknowledges.
 */
import { HashedRandom } from './simulator/random.js';

export interface Pacer {
  /**
   * Waits for the moment of the next reading(s) and returns them, at most `max`
   * (only a simulated clock has several ready at once); empty when there are
   * none left (end of simulation, stopped).
   */
  next(max: number): Promise<Date[]>;
  /** Ends any wait at once. */
  cancel(): void;
}

export interface Intervals {
  minSeconds: number;
  maxSeconds: number;
}

/** Uniform in [min, max] seconds, as milliseconds. */
export function randomIntervalMs(intervals: Intervals, u: number): number {
  return (intervals.minSeconds + (intervals.maxSeconds - intervals.minSeconds) * u) * 1000;
}

export class RealTimePacer implements Pacer {
  private first = true;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private cancelled = false;

  constructor(
    private readonly intervals: () => Intervals,
    private readonly random: () => number = Math.random,
  ) {}

  async next(): Promise<Date[]> {
    if (this.cancelled) return [];
    let wait = randomIntervalMs(this.intervals(), this.random());
    // The first wait is a random share of an interval: boot-time spread.
    if (this.first) wait *= this.random();
    this.first = false;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, wait);
    });
    this.wake = undefined;
    return this.cancelled ? [] : [new Date()];
  }

  cancel(): void {
    this.cancelled = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
  }
}

export interface SimulatedPacerOptions {
  from: Date;
  until: Date;
  intervals: Intervals;
  seed: number;
  scope: string;
  /** Resolves when the pipeline has room for another reading (back-pressure). */
  room: () => Promise<void>;
}

export class SimulatedPacer implements Pacer {
  private clock: number;
  private step = 0;
  private cancelled = false;
  private readonly random: HashedRandom;

  constructor(private readonly options: SimulatedPacerOptions) {
    this.random = new HashedRandom(options.seed, `pace:${options.scope}`);
    this.clock = options.from.getTime() + randomIntervalMs(options.intervals, this.random.uniform(1, 0)) * this.random.uniform(2, 0);
  }

  async next(max: number): Promise<Date[]> {
    if (this.cancelled || this.clock >= this.options.until.getTime()) return [];
    await this.options.room();
    const times: Date[] = [];
    while (!this.cancelled && times.length < max && this.clock < this.options.until.getTime()) {
      times.push(new Date(this.clock));
      this.step++;
      this.clock += randomIntervalMs(this.options.intervals, this.random.uniform(3, this.step));
    }
    return times;
  }

  cancel(): void {
    this.cancelled = true;
  }
}
