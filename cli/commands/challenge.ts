/**
 * `kots challenge`: the investigative game. `events` lists what fired in the
 * data; `check EVENT --where "SQL"` scores a hypothesis with precision,
 * recall and a hint (lakehouse/challenge.ts); `guide` walks through
 * analysis/GUIDE.md. A game master's `new` draws secret rules, `reveal` shows
 * them, `reset` restores the original ones (cli/challenge/game.ts).
 */
import type { Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import { checkServers, loadContextAsync } from '../context.js';
import { examples } from '../help.js';

interface ChallengeOptions {
  where: string;
  json?: boolean;
  motherduck?: boolean;
}

export function registerChallengeCommand(program: Command): void {
  const challenge = program
    .command('challenge')
    .description('the investigative challenge: find out from the data which weather makes which surreal event (analysis/GUIDE.md)');

  challenge
    .command('events')
    .description('the ten events, with how often each fired in the lake')
    .addHelpText('after', examples('kots challenge events'))
    .action(async (_opts: unknown, command: Command) => {
      const [{ openLakeDatabase }, { formatResult, runQuery }, { EVENTS }] = await Promise.all([
        import('../../lakehouse/database.js'),
        import('../../lakehouse/format.js'),
        import('../../consumer/events/catalog.js'),
      ]);
      const { config } = await loadContextAsync(command);
      await checkServers(config, { lake: true });
      const db = await openLakeDatabase(config);
      try {
        const names = EVENTS.map((e) => `(${e.id}, '${e.name.replaceAll("'", "''")}')`).join(', ');
        // All ten, also those that never fired: a zero says "more data", not "no such event".
        const result = await runQuery(
          db.connection,
          `WITH catalog(event_id, event_name) AS (VALUES ${names}),
                fired AS (SELECT event_id, count(*) AS firings FROM readings WHERE event_id > 0 GROUP BY ALL)
           SELECT c.event_id, c.event_name, coalesce(f.firings, 0) AS firings,
                  round(100.0 * coalesce(f.firings, 0) / greatest(1, (SELECT count(*) FROM readings)), 2) AS pct_of_readings
           FROM catalog c LEFT JOIN fired f USING (event_id) ORDER BY c.event_id`,
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
    .requiredOption(
      '-w, --where <condition>',
      'SQL condition over the readings columns (never the event_* answer columns), e.g. "weather_main = \'Clear\' AND hour(local_time) BETWEEN 20 AND 21"',
    )
    .option('--json', 'print the score as JSON')
    .option('--motherduck', 'run in MotherDuck (as kots sql --motherduck)')
    .addHelpText(
      'after',
      examples(
        `kots challenge check "two moons" --where "weather_main = 'Clear' AND hour(local_time) BETWEEN 20 AND 21"`,
        'kots challenge check 6 --where "wind_speed > 6" --json',
      ),
    )
    .action(async (event: string, opts: ChallengeOptions, command: Command) => {
      const [{ openLakeDatabase }, { formatScore, scoreHypothesis, checkPredicate }] = await Promise.all([
        import('../../lakehouse/database.js'),
        import('../../lakehouse/challenge.js'),
      ]);
      // Refuse an answer-reading condition before opening anything.
      checkPredicate(opts.where);
      const { config } = await loadContextAsync(command);
      const db = await openLakeDatabase(config, undefined, { motherduck: opts.motherduck ?? false });
      try {
        const score = await scoreHypothesis(db.connection, event, opts.where);
        process.stdout.write(`${opts.json ? JSON.stringify(score, null, 2) : formatScore(score)}\n`);
      } finally {
        db.close();
      }
    });

  challenge
    .command('guide')
    .description('the steps of the investigation (analysis/GUIDE.md), each with the query to run next')
    .argument('[step]', 'show this step in full')
    .addHelpText('after', examples('kots challenge guide', 'kots challenge guide 3'))
    .action(async (step: string | undefined, _opts: unknown, command: Command) => {
      const { formatOverview, formatStep, readGuide } = await import('../challenge/guide.js');
      const steps = readGuide();
      if (step !== undefined) {
        if (!/^\d+$/.test(step)) throw new KotsError('USAGE', `kots challenge guide takes a step number, got "${step}"`);
        process.stdout.write(`${formatStep(steps, Number(step))}\n`);
        return;
      }
      const [{ config }, { openLake, RAW_WEATHER_PREFIX, CONSOLIDATED_WEATHER_PREFIX }] = await Promise.all([
        loadContextAsync(command),
        import('../../core/lake/index.js'),
      ]);
      const lake = openLake(config.lake);
      const empty = (await lake.list(RAW_WEATHER_PREFIX)).length === 0 && (await lake.list(CONSOLIDATED_WEATHER_PREFIX)).length === 0;
      process.stdout.write(`${formatOverview(steps, empty)}\n`);
    });

  challenge
    .command('new')
    .description('game master: draw a secret variant of the ten rules (thresholds, gates, hour windows moved) that the consumer labels with; never printed')
    .option('--seed <seed>', 'draw from this seed (the same seed gives the same variant); default: a random one')
    .addHelpText('after', examples('kots challenge new', 'kots challenge new --seed 42 && kots simulate --days 30'))
    .action(async (opts: { seed?: string }, command: Command) => {
      const [{ config }, { newGame }] = await Promise.all([loadContextAsync(command), import('../challenge/game.js')]);
      process.stdout.write(`${await newGame(config, opts.seed)}\n`);
    });

  challenge
    .command('reveal')
    .description('game master: show the rules in force (the secret variant, or the original rules), after a confirmation')
    .option('--yes', 'do not ask (scripts)')
    .option('--json', 'print them as JSON: id, name, condition (SQL over the readings columns), gate')
    .addHelpText('after', examples('kots challenge reveal', 'kots challenge reveal --yes --json'))
    .action(async (opts: { yes?: boolean; json?: boolean }, command: Command) => {
      const [{ config }, game] = await Promise.all([loadContextAsync(command), import('../challenge/game.js')]);
      await game.confirmReveal(opts.yes ?? false);
      const revealed = await game.revealRules(config);
      process.stdout.write(`${opts.json ? JSON.stringify(revealed, null, 2) : game.formatRevealed(revealed)}\n`);
    });

  challenge
    .command('reset')
    .description('game master: back to the original rules')
    .addHelpText('after', examples('kots challenge reset'))
    .action(async (_opts: unknown, command: Command) => {
      const [{ config }, { resetGame }] = await Promise.all([loadContextAsync(command), import('../challenge/game.js')]);
      process.stdout.write(`${await resetGame(config)}\n`);
    });
}
