/** What every source of readings provides: the weather object at a moment. */
import type { CurrentWeather, ReadingSource } from '../../core/reading.js';

export interface SourceHealth {
  /** Problems worth a look that did not stop the reading (a sensor gone, garbage read). */
  problems: string[];
  [detail: string]: unknown;
}

export interface WeatherSource {
  readonly kind: ReadingSource;
  /** The weather at `at` (the simulated source honours it; live sources read "now"). */
  read(at: Date): Promise<CurrentWeather>;
  /** What the health message reports about this source. */
  health(): SourceHealth;
  close(): Promise<void>;
}
