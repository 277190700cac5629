/**
 * `kots simulate`: a month of readings of the configured cities in about a
 * minute, ready for the investigation. By default the whole pipeline runs in
 * this process (cli/simulate/embedded.ts); with --broker URL the simulated
 * agents publish to a running bridge instead. The simulated days are then
 * consolidated, and the next command is printed (cli/simulate/run.ts).
 */
import type { Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import { loadContextAsync } from '../context.js';
import { examples } from '../help.js';

/**
 * A month in which the eight default cities have every event's weather: frost
 * and snow in Yakutsk and Reykjavik, summer heat and storms in Buenos Aires,
 * heat and storms in Singapore, winter morning fog in Japan. Fixed rather than
 * "the last 30 days": in July the northern cities have neither frost nor snow,
 * and the guarantee (every event at least 20 times) is checked for this month.
 */
export const DEFAULT_SIMULATION_FROM = '2026-01-01';

export interface SimulateOptions {
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

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'simulated days of the configured cities through the whole pipeline, in this process, then consolidated: the data of the investigation (kots challenge)',
    )
    .option('--from <date>', 'first simulated day (YYYY-MM-DD, UTC)', DEFAULT_SIMULATION_FROM)
    .option('--days <n>', 'number of days', positiveInteger('--days'), 30)
    .option('--interval-minutes <n>', 'simulated minutes between readings of a city (randomised ±50%)', positiveInteger('--interval-minutes'), 10)
    .option('--broker <url>', 'publish to the bridge at this MQTT URL (e.g. a running kots up --no-agents) instead of running the pipeline here')
    .option('--no-consolidate', 'leave the raw files as they are (kots consolidate can do it later)')
    .addHelpText(
      'after',
      examples('kots simulate --days 30', 'kots simulate --from 2026-07-01 --days 7 --no-consolidate', 'kots simulate --broker mqtt://127.0.0.1:1883'),
    )
    .action(async (opts: SimulateOptions, command: Command) => {
      const from = new Date(/^\d{4}-\d{2}-\d{2}$/.test(opts.from) ? `${opts.from}T00:00:00Z` : opts.from);
      if (Number.isNaN(from.getTime())) throw new KotsError('USAGE', `--from expects a date such as 2026-10-01, got "${opts.from}"`);
      const { config, logger } = await loadContextAsync(command, {}, 'kots-simulate');
      const { runSimulateCommand } = await import('../simulate/run.js');
      await runSimulateCommand(opts, config, logger, from);
      // Everything is acknowledged, written and closed; do not wait for handles other modules may hold.
      process.exit(0);
    });
}
