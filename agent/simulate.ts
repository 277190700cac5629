/**
 * `kots simulate`: one simulated agent per configured city, each on a
 * simulated clock running from `from` for `days`, publishing through the real
 * broker as fast as it acknowledges. An analyst gets a month of data in
 * minutes, with `observed_at` in the simulated past.
 */
import type pino from 'pino';
import type { KotsConfig } from '../core/config/index.js';
import { DEFAULT_CITIES, resolveCity } from './cities.js';
import { deviceSpoolDir, startAgent } from './index.js';

export interface SimulationOptions {
  config: KotsConfig;
  logger: pino.Logger;
  from: Date;
  days: number;
  /** Simulated minutes between two readings of a city; each wait is drawn from ±50 % of it. */
  intervalMinutes: number;
}

export interface SimulationResult {
  readings: number;
  cities: number;
  elapsedMs: number;
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const { config, logger, from, days, intervalMinutes } = options;
  const started = Date.now();
  const cities = config.up.cities ?? DEFAULT_CITIES;
  const until = new Date(from.getTime() + days * 86_400_000);
  const agents = await Promise.all(
    cities.map((city, index) => {
      const deviceId = `sim-${resolveCity(city).slug}`.slice(0, 64);
      return startAgent({
        config: {
          ...config,
          agent: {
            ...config.agent,
            deviceId,
            city,
            source: 'simulated',
            seed: config.agent.seed + index,
            spoolDir: deviceSpoolDir(config.agent.spoolDir, deviceId),
          },
        },
        logger,
        simulation: { from, until, intervalMinSeconds: intervalMinutes * 30, intervalMaxSeconds: intervalMinutes * 90 },
      });
    }),
  );
  try {
    await Promise.all(agents.map(async (agent) => {
      await agent.finished;
      await agent.drained();
    }));
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
  }
  return { readings: agents.reduce((sum, a) => sum + a.stats().taken, 0), cities: cities.length, elapsedMs: Date.now() - started };
}
