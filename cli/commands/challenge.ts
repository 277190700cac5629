/**
 * `kots challenge`: the investigative game. `events` lists what fired in the
 * data; `check EVENT --where "SQL"` scores a hypothesis with precision,
 * recall and a hint (lakehouse/challenge.ts). See analysis/GUIDE.md.
 */
import type { Command } from 'commander';
import { loadContextAsync } from '../context.js';
import { examples } from '../help.js';

interface ChallengeOptions {
  where: string;
  json?: boolean;
  motherduck?: boolean;
}

export function registerChallengeCommand(program: Command): void {
  const challenge = program.command('challenge').description('the investigative challenge: find out from the data which weather makes which surreal event (analysis/GUIDE.md)');

  challenge
    .command('events')
    .description('the events that fired in the lake, with how often')
    .addHelpText('after', examples('kots challenge events'))
    .action(async (_opts: unknown, command: Command) => {
      const [{ openLakeDatabase }, { formatResult, runQuery }] = await Promise.all([import('../../lakehouse/database.js'), import('../../lakehouse/format.js')]);
      const { config } = await loadContextAsync(command);
      const db = await openLakeDatabase(config);
      try {
        const result = await runQuery(
          db.connection,
          `SELECT event_id, event_name, count(*) AS firings, round(100.0 * count(*) / (SELECT count(*) FROM readings), 2) AS pct_of_readings
           FROM readings WHERE event_id > 0 GROUP BY ALL ORDER BY event_id`,
        );
        process.stdout.write(`${formatResult(result, 'table')}\n`);
      } finally {
        db.close();
      }
    });

  challenge
    .command('check')
    .description('score a hypothesis: precision and recall of a SQL condition against the readings that fired EVENT, and a hint')
    .argument('<event>', 'event id, name or part of its name ("two moons")')
    .requiredOption('-w, --where <condition>', 'SQL condition over the readings columns, e.g. "weather_main = \'Clear\' AND hour(local_time) BETWEEN 20 AND 21"')
    .option('--json', 'print the score as JSON')
    .option('--motherduck', 'run in MotherDuck (as kots sql --motherduck)')
    .addHelpText('after', examples(`kots challenge check "two moons" --where "weather_main = 'Clear' AND hour(local_time) BETWEEN 20 AND 21"`, 'kots challenge check 6 --where "wind_speed > 6" --json'))
    .action(async (event: string, opts: ChallengeOptions, command: Command) => {
      const [{ openLakeDatabase }, { formatScore, scoreHypothesis }] = await Promise.all([import('../../lakehouse/database.js'), import('../../lakehouse/challenge.js')]);
      const { config } = await loadContextAsync(command);
      const db = await openLakeDatabase(config, undefined, { motherduck: opts.motherduck ?? false });
      try {
        const score = await scoreHypothesis(db.connection, event, opts.where);
        process.stdout.write(`${opts.json ? JSON.stringify(score, null, 2) : formatScore(score)}\n`);
      } finally {
        db.close();
      }
    });
}
