/**
 * `kots simulate`: a month of readings of the configured cities in about a
 * minute, ready for the investigation. By default the whole pipeline runs in
 * this process (cli/simulate/embedded.ts); with --broker URL the simulated
 * agents publish to a running bridge instead. The simulated days are then
 * consolidated, and the next command is printed.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { runSimulation, type SimulationResult } from '../../agent/simulate.js';
import type { KotsConfig } from '../../core/config/index.js';
import { KotsError } from '../../core/errors.js';
import { openLake, type Lake } from '../../core/lake/index.js';
import type { Logger } from '../../core/log.js';
import { consolidatePartition, dateRange, partitionsOf } from '../../lakehouse/consolidate.js';
import { openDuck } from '../../lakehouse/duckdb.js';
import { startEmbeddedPipeline } from '../simulate/embedded.js';
import { probeBroker } from '../simulate/probe.js';
import { progressView } from '../simulate/progress.js';
import { loadContextAsync } from '../context.js';

/**
 * A month in which the eight default cities have every event's weather: frost
 * and snow in Yakutsk and Reykjavik, heat in Cairo and Singapore, storms in the
 * tropics. (In July the northern cities have neither frost nor snow.)
 */
export const DEFAULT_SIMULATION_FROM = '2026-10-01';

interface SimulateOptions {
  from: string;
  days: number;
  intervalMinutes: number;
  broker?: string;
  consolidate: boolean;
}

function positiveInteger(name: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new KotsError('USAGE', `${name} expects a positive whole number, got "${text}"`);
    return value;
  };
}

const number = new Intl.NumberFormat('en');

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('simulated days of the configured cities through the whole pipeline, in this process, then consolidated: the data of the investigation (kots challenge)')
    .option('--from <date>', 'first simulated day (YYYY-MM-DD, UTC)', DEFAULT_SIMULATION_FROM)
    .option('--days <n>', 'number of days', positiveInteger('--days'), 30)
    .option('--interval-minutes <n>', 'simulated minutes between readings of a city (randomised ±50%)', positiveInteger('--interval-minutes'), 10)
    .option('--broker <url>', 'publish to the bridge at this MQTT URL (e.g. a running kots up --no-agents) instead of running the pipeline here')
    .option('--no-consolidate', 'leave the raw files as they are (kots consolidate can do it later)')
    .action(async (opts: SimulateOptions, command: Command) => {
      const from = new Date(/^\d{4}-\d{2}-\d{2}$/.test(opts.from) ? `${opts.from}T00:00:00Z` : opts.from);
      if (Number.isNaN(from.getTime())) throw new KotsError('USAGE', `--from expects a date such as 2026-10-01, got "${opts.from}"`);
      const { config, logger } = await loadContextAsync(command, {}, 'kots-simulate');
      // The stages' routine info lines would bury the progress; warnings and errors still show.
      const quiet = config.log.level === 'debug' || config.log.level === 'trace' ? logger : logger.child({}, { level: 'warn' });
      const lake = openLake(config.lake);
      const result = opts.broker ? await throughBroker(opts, config, quiet, from) : await embedded(opts, config, quiet, lake, from);
      const seconds = result.elapsedMs / 1000;
      process.stdout.write(
        `simulated ${number.format(result.readings)} readings of ${result.cities} cities, ${from.toISOString().slice(0, 10)} + ${opts.days} days, ` +
          `in ${seconds.toFixed(1)} s (${number.format(Math.round(result.readings / Math.max(seconds, 0.001)))} readings/s)\n`,
      );
      const lastDay = new Date(from.getTime() + (opts.days * 86_400_000) - 1).toISOString().slice(0, 10);
      const firstDay = from.toISOString().slice(0, 10);
      if (opts.broker) {
        process.stdout.write(`the consumer behind ${opts.broker} writes them to the lake; once it has: kots consolidate --from ${firstDay} --to ${lastDay}\n`);
      } else if (opts.consolidate) {
        await consolidateDays(config, lake, quiet, firstDay, lastDay);
      }
      process.stdout.write('\nnext: kots challenge events   (what fired)   ·   kots challenge guide   (the investigation, step by step)\n');
      // Everything is acknowledged, written and closed; do not wait for handles other modules may hold.
      process.exit(0);
    });
}

async function embedded(opts: SimulateOptions, config: KotsConfig, logger: Logger, lake: Lake, from: Date): Promise<SimulationResult> {
  const pipeline = await startEmbeddedPipeline(config, lake, logger);
  process.stdout.write(`kots simulate: pipeline in this process (broker ${pipeline.brokerUrl}, lake ${lake.describe()})\n`);
  try {
    const result = await simulate(opts, config, logger, from, pipeline.brokerUrl, join(config.up.stateDir, 'simulate-spool'));
    const stats = pipeline.bus.pipeline.stats;
    process.stdout.write(`written to the lake: ${number.format(stats.written)} readings in ${number.format(stats.files)} files, ${number.format(stats.events)} surreal events\n`);
    return result;
  } finally {
    await pipeline.close();
  }
}

async function throughBroker(opts: SimulateOptions, config: KotsConfig, logger: Logger, from: Date): Promise<SimulationResult> {
  const url = opts.broker!;
  await probeBroker(url, config.mqtt);
  process.stdout.write(`kots simulate: publishing to ${url}\n`);
  return simulate(opts, config, logger, from, url, config.agent.spoolDir);
}

async function simulate(opts: SimulateOptions, config: KotsConfig, logger: Logger, from: Date, brokerUrl: string, spoolDir: string): Promise<SimulationResult> {
  const view = progressView();
  try {
    return await runSimulation({
      config: { ...config, mqtt: { ...config.mqtt, url: brokerUrl }, agent: { ...config.agent, spoolDir } },
      logger,
      from,
      days: opts.days,
      intervalMinutes: opts.intervalMinutes,
      onProgress: (p) => view.update(p),
    });
  } finally {
    view.stop();
  }
}

async function consolidateDays(config: KotsConfig, lake: Lake, logger: Logger, firstDay: string, lastDay: string): Promise<void> {
  const started = Date.now();
  const duck = await openDuck(config);
  let readings = 0;
  let partitions = 0;
  try {
    for (const date of dateRange(firstDay, lastDay)) {
      for (const partition of await partitionsOf(lake, date)) {
        const result = await consolidatePartition({ lake, connection: duck.connection, retentionHours: config.consolidate.rawRetentionHours }, partition);
        readings += result.rows;
        partitions++;
      }
      if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2Kconsolidating ${date}`);
    }
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'consolidation failed');
    throw new KotsError('LAKE_UNAVAILABLE', `consolidating the simulated days failed: ${(error as Error).message}; the raw files are all there, run kots consolidate --from ${firstDay} --to ${lastDay}`, { cause: error });
  } finally {
    duck.close();
  }
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
  process.stdout.write(`consolidated ${firstDay} … ${lastDay}: ${number.format(readings)} readings in ${partitions} city-days, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
