/** The simulated source: the weather generator behind the WeatherSource interface. */
import type { CurrentWeather } from '../../core/reading.js';
import type { ResolvedCity } from '../cities.js';
import { WeatherSimulator } from '../simulator/simulator.js';
import type { SourceHealth, WeatherSource } from './source.js';

export class SimulatedSource implements WeatherSource {
  readonly kind = 'simulated' as const;
  private readonly simulator: WeatherSimulator;

  constructor(city: ResolvedCity, seed: number) {
    this.simulator = new WeatherSimulator(city, seed);
  }

  async read(at: Date): Promise<CurrentWeather> {
    return this.simulator.at(at);
  }

  health(): SourceHealth {
    return { problems: [] };
  }

  async close(): Promise<void> {}
}
