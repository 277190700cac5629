/** What `kots simulate` does once its options are read (cli/commands/simulate.ts). */
import { join } from 'node:path';
import { runSimulation, type SimulationResult } from '../../agent/simulate.js';
import type { KotsConfig } from '../../core/config/index.js';
import { KotsError } from '../../core/errors.js';
import { CONSOLIDATED_WEATHER_PREFIX, openLake, RAW_WEATHER_PREFIX, type Lake } from '../../core/lake/index.js';
import type { Logger } from '../../core/log.js';
import type { SimulateOptions } from '../commands/simulate.js';
import { DEFAULT_CITIES } from '../../agent/cities.js';
import { SimulatedDaysConsolidation, type ConsolidationSummary } from './consolidation.js';
import { startEmbeddedPipeline } from './embedded.js';
import { probeBroker } from './probe.js';
import { progressView } from './progress.js';

const number = new Intl.NumberFormat('en');
/** Readings each simulated agent may have unacknowledged in the embedded pipeline (a device's default is 20). */
const SIMULATION_IN_FLIGHT = 500;

export async function runSimulateCommand(opts: SimulateOptions, config: KotsConfig, logger: Logger, from: Date): Promise<void> {
  // The stages' routine info lines would bury the progress; warnings and errors still show.
  const quiet = config.log.level === 'debug' || config.log.level === 'trace' ? logger : logger.child({}, { level: 'warn' });
  const lake = openLake(config.lake);
  const firstDay = from.toISOString().slice(0, 10);
  const lastDay = new Date(from.getTime() + opts.days * 86_400_000 - 1).toISOString().slice(0, 10);
  const consolidation =
    !opts.broker && opts.consolidate ? new SimulatedDaysConsolidation(config, lake, firstDay, lastDay, (config.up.cities ?? DEFAULT_CITIES).length) : undefined;
  if (!opts.broker) await warnIfDaysHeld(lake, firstDay, lastDay);
  const result = opts.broker ? await throughBroker(opts.broker, opts, config, quiet, from) : await embedded(opts, config, quiet, lake, from, consolidation);
  const seconds = result.elapsedMs / 1000;
  process.stdout.write(
    `simulated ${number.format(result.readings)} readings of ${result.cities} cities, ${from.toISOString().slice(0, 10)} + ${opts.days} days, ` +
      `in ${seconds.toFixed(1)} s (${number.format(Math.round(result.readings / Math.max(seconds, 0.001)))} readings/s)\n`,
  );
  if (opts.broker) {
    process.stdout.write(`the consumer behind ${opts.broker} writes them to the lake; once it has: kots consolidate --from ${firstDay} --to ${lastDay}\n`);
  } else if (consolidation) {
    await finishConsolidation(consolidation, quiet, firstDay, lastDay, result.elapsedMs);
  }
  process.stdout.write('\nnext: kots challenge events   (what fired)   ·   kots challenge guide   (the investigation, step by step)\n');
}

/** A second run over the same days adds a second set of readings (new ids): say so before it starts. */
async function warnIfDaysHeld(lake: Lake, firstDay: string, lastDay: string): Promise<void> {
  const days = new Set<string>();
  for (const prefix of [RAW_WEATHER_PREFIX, CONSOLIDATED_WEATHER_PREFIX]) {
    for (const key of await lake.list(prefix)) {
      const day = /date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
      if (day && day >= firstDay && day <= lastDay) days.add(day);
    }
  }
  if (days.size > 0) {
    process.stderr.write(
      `kots simulate: the lake already holds readings of ${days.size} of these days; the new ones add to them (another --from, or an empty lake, keeps the month clean)\n`,
    );
  }
}

async function embedded(
  opts: SimulateOptions,
  config: KotsConfig,
  logger: Logger,
  lake: Lake,
  from: Date,
  consolidation: SimulatedDaysConsolidation | undefined,
): Promise<SimulationResult> {
  const pipeline = await startEmbeddedPipeline(config, lake, logger);
  process.stdout.write(`kots simulate: pipeline in this process (broker ${pipeline.brokerUrl}, lake ${lake.describe()})\n`);
  try {
    // Our own agents next to the lake: a wide window lets one group commit carry hundreds of readings.
    const agents = { ...config, agent: { ...config.agent, maxInFlight: SIMULATION_IN_FLIGHT } };
    const result = await simulate(opts, agents, logger, from, pipeline.brokerUrl, join(config.up.stateDir, 'simulate-spool'), () => consolidation?.poke());
    const stats = pipeline.bus.pipeline.stats;
    process.stdout.write(
      `written to the lake: ${number.format(stats.written)} readings in ${number.format(stats.files)} files, ${number.format(stats.events)} surreal events\n`,
    );
    return result;
  } finally {
    await pipeline.close();
  }
}

async function throughBroker(url: string, opts: SimulateOptions, config: KotsConfig, logger: Logger, from: Date): Promise<SimulationResult> {
  await probeBroker(url, config.mqtt);
  process.stdout.write(`kots simulate: publishing to ${url}\n`);
  return simulate(opts, config, logger, from, url, config.agent.spoolDir);
}

async function simulate(
  opts: SimulateOptions,
  config: KotsConfig,
  logger: Logger,
  from: Date,
  brokerUrl: string,
  spoolDir: string,
  onTick?: () => void,
): Promise<SimulationResult> {
  const view = progressView();
  const stall = stallWatch(brokerUrl);
  try {
    return await runSimulation({
      config: { ...config, mqtt: { ...config.mqtt, url: brokerUrl }, agent: { ...config.agent, spoolDir } },
      logger,
      from,
      days: opts.days,
      intervalMinutes: opts.intervalMinutes,
      onProgress: (p) => {
        view.update(p);
        stall(p.acked);
        onTick?.();
      },
    });
  } finally {
    view.stop();
  }
}

/** Says so (on stderr, every STALL_MS) when no reading has been acknowledged for a while: a broker that went away mid-run. */
const STALL_MS = 15_000;
function stallWatch(brokerUrl: string): (acked: number) => void {
  let last = -1;
  let since = Date.now();
  let warned = 0;
  return (acked) => {
    const now = Date.now();
    if (acked !== last) {
      last = acked;
      since = now;
      return;
    }
    if (now - since >= STALL_MS && now - warned >= STALL_MS) {
      warned = now;
      process.stderr.write(
        `\nkots simulate: no reading acknowledged for ${Math.round((now - since) / 1000)} s by ${brokerUrl}; the agents keep their readings and retry (Ctrl-C stops)\n`,
      );
    }
  };
}

async function finishConsolidation(
  consolidation: SimulatedDaysConsolidation,
  logger: Logger,
  firstDay: string,
  lastDay: string,
  simulationMs: number,
): Promise<void> {
  const started = Date.now();
  let summary: ConsolidationSummary;
  try {
    summary = await consolidation.finish((day) => {
      if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2Kconsolidating ${day}`);
    });
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'consolidation failed');
    throw new KotsError(
      'LAKE_UNAVAILABLE',
      `consolidating the simulated days failed: ${(error as Error).message}; the raw files are all there, run kots consolidate --from ${firstDay} --to ${lastDay}`,
      { cause: error },
    );
  }
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
  process.stdout.write(
    `consolidated ${firstDay} … ${lastDay}: ${number.format(summary.readings)} readings in ${summary.cityDays} city-days, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s after the simulation (settled days were compacted during its ${(simulationMs / 1000).toFixed(1)} s)\n`,
  );
}
