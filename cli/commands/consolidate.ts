/**
 * `kots consolidate`: raw Parquet of a day (or a range of days, or every day
 * with raw files left) becomes one de-duplicated, time-sorted part file per
 * city, one DuckDB pass per day (lakehouse/consolidate.ts). Safe to re-run, to
 * kill at any point and to start twice (a lease per day); Kestra runs it on a
 * schedule (kestra/).
 */
import type { Command } from 'commander';
import { isCalendarDate } from '../../core/dates.js';
import { KotsError } from '../../core/errors.js';
import type { PartitionResult } from '../../lakehouse/consolidate.js';
import { checkServers, loadContextAsync } from '../context.js';
import { examples } from '../help.js';

interface ConsolidateCliOptions {
  date?: string;
  from?: string;
  to?: string;
  city?: string;
  pending?: boolean;
  retentionHours?: number;
  json?: boolean;
}

/** YYYY-MM-DD, or `today` / `yesterday` (UTC) for schedulers. */
export function resolveDate(text: string, now = new Date()): string {
  const day = (offset: number) => new Date(now.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
  if (text === 'today') return day(0);
  if (text === 'yesterday') return day(-1);
  if (!isCalendarDate(text)) throw new KotsError('USAGE', `expected a date as YYYY-MM-DD, today or yesterday, got "${text}"`);
  return text;
}

function nonNegative(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new KotsError('USAGE', `--retention-hours expects a number >= 0, got "${text}"`);
  return value;
}

function datesOf(opts: ConsolidateCliOptions, dateRange: (from: string, to: string) => string[]): string[] {
  if (opts.pending && (opts.date || opts.from || opts.to))
    throw new KotsError('USAGE', '--pending finds its dates itself: give it without --date, --from or --to');
  if (opts.date && (opts.from || opts.to)) throw new KotsError('USAGE', 'give either --date or --from/--to, not both');
  if (opts.from || opts.to) {
    if (!opts.from || !opts.to) throw new KotsError('USAGE', '--from and --to go together (a backfill of a date range)');
    return dateRange(resolveDate(opts.from), resolveDate(opts.to));
  }
  if (!opts.date)
    throw new KotsError(
      'USAGE',
      'say which day: --date YYYY-MM-DD (or today, yesterday), --from/--to for a range, or --pending for every day with raw files left',
    );
  return [resolveDate(opts.date)];
}

function summary(r: PartitionResult): string {
  const what =
    r.status === 'empty'
      ? 'no raw files'
      : r.status === 'unchanged'
        ? `up to date: ${r.rows} readings in ${r.part}`
        : `${r.inputRows} rows from ${r.newRaw} new raw files → ${r.rows} readings in ${r.part}`;
  const removed = [r.removedRaw ? `removed ${r.removedRaw} raw files` : '', r.removedParts ? `removed ${r.removedParts} superseded parts` : '']
    .filter(Boolean)
    .join(', ');
  return `date=${r.date} city=${r.city}: ${what}${removed ? `; ${removed}` : ''} (${r.elapsedMs} ms)`;
}

export function registerConsolidateCommand(program: Command): void {
  program
    .command('consolidate')
    .description('compact the raw Parquet of a day into one de-duplicated, time-sorted file per city; raw removed only after verification and the retention')
    .option('--date <date>', 'day to consolidate (YYYY-MM-DD, today, yesterday; UTC)')
    .option('--from <date>', 'first day of a backfill range')
    .option('--to <date>', 'last day of a backfill range (inclusive)')
    .option('--pending', 'every day that still has raw files, whatever its age (late data, removals due after the retention)')
    .option('--city <slug>', 'only this city')
    .option('--retention-hours <n>', 'hours after the end of a day before its raw files are removed (default: consolidate.rawRetentionHours)', nonNegative)
    .option('--json', 'print one JSON object per partition instead of a line of text')
    .addHelpText(
      'after',
      examples(
        'kots consolidate --date yesterday',
        'kots consolidate --date 2026-03-01 --city lisbon',
        'kots consolidate --from 2026-03-01 --to 2026-03-31 --json',
        'kots consolidate --pending',
      ),
    )
    .action(async (opts: ConsolidateCliOptions, command: Command) => {
      const [{ consolidateDays, dateRange, pendingDates }, { openLake }, { openDuck }] = await Promise.all([
        import('../../lakehouse/consolidate.js'),
        import('../../core/lake/index.js'),
        import('../../lakehouse/duckdb.js'),
      ]);
      const fixedDates = opts.pending && !(opts.date || opts.from || opts.to) ? undefined : datesOf(opts, dateRange);
      if (opts.city !== undefined && !/^[a-z0-9-]+$/.test(opts.city))
        throw new KotsError('USAGE', `--city expects a city slug (a-z, 0-9, -), got "${opts.city}"`);
      const { config, logger } = await loadContextAsync(command, {}, 'kots-consolidate');
      await checkServers(config, { lake: true });
      const lake = openLake(config.lake);
      const dates = fixedDates ?? (await pendingDates(lake));
      const duck = await openDuck(config);
      const retentionHours = opts.retentionHours ?? config.consolidate.rawRetentionHours;
      const started = Date.now();
      let failures = 0;
      let readings = 0;
      let inputRows = 0;
      try {
        const outcomes = await consolidateDays(
          {
            lake,
            connection: duck.connection,
            instance: duck.instance,
            retentionHours,
            leaseMs: config.consolidate.leaseSeconds * 1000,
            onStep: (p, step, detail) => logger.debug({ ...p, step }, detail),
          },
          dates,
          opts.city,
        );
        for (const { date, results, error } of outcomes) {
          if (error) {
            failures++;
            // One bad day does not stop the others (consolidateDays retries it alone); the exit code says something failed.
            logger.error({ date, city: opts.city, err: error.message }, 'consolidation failed');
            process.stderr.write(`date=${date}${opts.city ? ` city=${opts.city}` : ''}: FAILED: ${error.message}\n`);
            continue;
          }
          for (const result of results ?? []) {
            readings += result.rows;
            inputRows += result.inputRows;
            process.stdout.write(`${opts.json ? JSON.stringify(result) : summary(result)}\n`);
          }
        }
      } finally {
        duck.close();
      }
      const seconds = (Date.now() - started) / 1000;
      if (!opts.json)
        process.stdout.write(
          `consolidated ${dates.length} day(s) of ${lake.describe()}: ${readings} readings (${inputRows} raw rows read) in ${seconds.toFixed(1)} s${failures ? `, ${failures} day(s) FAILED` : ''}\n`,
        );
      if (failures > 0) process.exitCode = 1;
    });
}
