/**
 * The agents of `kots simulate`: one simulated agent per configured city, each
 * on a simulated clock running from `from` for `days`, publishing to the
 * broker at `config.mqtt.url` as fast as it acknowledges. An analyst gets a
 * month of data in a minute, with `observed_at` in the simulated past.
 * (cli/commands/simulate.ts puts a broker and the pipeline in front of them.)
 */
import type pino from 'pino';
import type { KotsConfig } from '../core/config/index.js';
import { DEFAULT_CITIES, resolveCity } from './cities.js';
import { deviceSpoolDir, startAgent } from './index.js';

export interface SimulationProgress {
  /** Readings taken so far, and acknowledged by the broker. */
  taken: number;
  acked: number;
  /** Readings the whole run is expected to take (the mean interval over the period). */
  expected: number;
  /** Simulated moment reached, estimated from the acknowledged share. */
  simulatedAt: Date;
}

export interface SimulationOptions {
  config: KotsConfig;
  logger: pino.Logger;
  from: Date;
  days: number;
  /** Simulated minutes between two readings of a city; each wait is drawn from ±50 % of it. */
  intervalMinutes: number;
  /** Called about every progressEveryMs while the simulation runs. */
  onProgress?: (progress: SimulationProgress) => void;
  progressEveryMs?: number;
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
  const expected = Math.round((cities.length * days * 1440) / intervalMinutes);
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
  const report = () => {
    if (!options.onProgress) return;
    let taken = 0;
    let acked = 0;
    for (const agent of agents) {
      const stats = agent.stats();
      taken += stats.taken;
      acked += stats.acked;
    }
    const share = Math.min(1, acked / Math.max(1, expected));
    options.onProgress({ taken, acked, expected, simulatedAt: new Date(from.getTime() + share * (until.getTime() - from.getTime())) });
  };
  const ticker = setInterval(report, options.progressEveryMs ?? 250);
  try {
    await Promise.all(
      agents.map(async (agent) => {
        await agent.finished;
        await agent.drained();
      }),
    );
    report();
  } finally {
    clearInterval(ticker);
    await Promise.all(agents.map((agent) => agent.stop()));
  }
  return { readings: agents.reduce((sum, a) => sum + a.stats().taken, 0), cities: cities.length, elapsedMs: Date.now() - started };
}
