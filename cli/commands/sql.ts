/** `kots sql`: the lake's views in DuckDB (or MotherDuck), as a prompt or a script runner like the DuckDB CLI (cli/sql/shell.ts). */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import type { OutputFormat } from '../../lakehouse/format.js';
import { checkServers, loadContextAsync } from '../context.js';
import { examples } from '../help.js';
import { applyVariables, collectVariable, type SqlVariable } from '../sql-vars.js';

interface SqlOptions {
  format: OutputFormat;
  output?: string;
  motherduck?: boolean;
  dryRun?: boolean;
  file?: string;
  var: SqlVariable[];
  command?: string;
  bail?: boolean;
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description(
      'query the lake with DuckDB (views: readings, events, raw_readings, consolidated_readings); without SQL it opens a prompt (.help lists its dot commands)',
    )
    .argument('[query]', 'SQL to run (same as -c)')
    .option('-c, --command <sql>', 'run this SQL (statements separated by ";") and exit')
    .option('-f, --file <path>', 'run the SQL and dot commands in this file and exit, e.g. analysis/05-local-hour.sql')
    .addOption(new Option('--format <format>', 'result format (.mode in the prompt)').choices(['table', 'csv', 'json', 'parquet']).default('table'))
    .option('-o, --output <file>', 'write the results to this file (needed by --format parquet)')
    .option('--bail', 'stop a script at its first error (it exits non-zero after an error either way)')
    .option('--motherduck', 'create the views in MotherDuck (md:<duckdb.motherduckDatabase>); the default when duckdb.motherduckToken is set')
    .option('--no-motherduck', 'use a local in-memory DuckDB even when a MotherDuck token is configured')
    .option(
      '--var <name=value>',
      "set a SQL variable (getvariable('name')) before the query; overrides the file's own SET VARIABLE name (repeatable)",
      collectVariable,
      [],
    )
    .option('--dry-run', 'print the statements that create the views (credentials shown as ***) and exit without connecting')
    .addHelpText(
      'after',
      examples(
        'kots sql',
        'kots sql -c "select city, count(*) from readings group by all"',
        'kots sql -f analysis/05-local-hour.sql --bail',
        'kots sql --format csv -c "select * from events" > events.csv',
        'kots sql --format parquet -o readings.parquet -c "select * from readings"',
        'echo "select count(*) from readings" | kots sql',
      ),
    )
    .action(async (query: string | undefined, opts: SqlOptions, command: Command) => {
      if (opts.file !== undefined && ['table', 'csv', 'json', 'parquet'].includes(opts.file) && !existsSync(opts.file)) {
        throw new KotsError(
          'USAGE',
          `-f reads a SQL file (as in the DuckDB CLI and psql) and there is no file "${opts.file}"; for the result format write --format ${opts.file}`,
        );
      }
      const given = [query !== undefined, opts.command !== undefined, opts.file !== undefined].filter(Boolean).length;
      if (given > 1) throw new KotsError('USAGE', 'give the SQL one way: as an argument, with -c, or with -f FILE');
      const output = opts.output;
      if (opts.format === 'parquet' && !output) throw new KotsError('USAGE', '--format parquet writes a file: add -o FILE.parquet');
      // Read before connecting: a mistyped file name is the user's to fix, in one line.
      const inline = query ?? opts.command;
      const script =
        opts.file !== undefined
          ? { text: readFileSync(opts.file, 'utf8'), source: opts.file }
          : inline !== undefined
            ? { text: inline, source: '-c' }
            : undefined;
      if (script && opts.var.length > 0) script.text = applyVariables(script.text, opts.var);

      const { config } = await loadContextAsync(command);
      const motherduck = opts.motherduck ?? config.duckdb.motherduckToken !== undefined;
      const [{ openLakeLazily }, { checkMotherDuckConfig, motherduckStatements }, { readSnapshot }, { viewStatements }] = await Promise.all([
        import('../../core/lake/open.js'),
        import('../../lakehouse/motherduck.js'),
        import('../../lakehouse/snapshot.js'),
        import('../../lakehouse/views.js'),
      ]);
      if (motherduck) checkMotherDuckConfig(config);
      if (opts.dryRun) {
        const lake = await openLakeLazily(config.lake);
        const snapshot = await readSnapshot(lake);
        const statements = motherduck ? motherduckStatements(config, lake, snapshot).map((s) => s.shown) : viewStatements(lake, snapshot).map((s) => s.sql);
        process.stdout.write(
          `-- ${motherduck ? `MotherDuck md:${config.duckdb.motherduckDatabase}` : 'local DuckDB'} over ${lake.describe()}\n${statements.map((s) => `${s};`).join('\n')}\n`,
        );
        return;
      }
      await checkServers(config, { lake: true });
      const [{ openLakeDatabase }, { SqlShell }, { describeEmptyLake }] = await Promise.all([
        import('../../lakehouse/database.js'),
        import('../sql/shell.js'),
        import('../sql/empty-lake.js'),
      ]);
      const db = await openLakeDatabase(config, undefined, { motherduck });
      try {
        // An empty or missing lake is not an error, but 0 rows without a word is a silent trap.
        const empty = describeEmptyLake(config.lake, db.snapshot, db.lake.describe());
        if (empty) process.stderr.write(`kots sql: ${empty}\n`);
        if (opts.format === 'parquet') {
          const { writeParquet } = await import('../../lakehouse/format.js');
          if (!script) throw new KotsError('USAGE', '--format parquet needs the query: -c SQL or -f FILE');
          if (!output) throw new KotsError('USAGE', '--format parquet writes a file: add -o FILE.parquet');
          await writeParquet(db.connection, script.text, output);
          process.stdout.write(`wrote ${output}\n`);
          return;
        }
        if (output) writeFileSync(output, '');
        const shell = new SqlShell(db.connection, {
          mode: opts.format,
          bail: opts.bail ?? false,
          ...(output ? { write: (text: string) => appendFileSync(output, text) } : {}),
          width: () => (process.stdout.isTTY ? process.stdout.columns : undefined),
        });
        if (script) {
          if (!(await shell.runScript(script.text, script.source))) process.exitCode = 1;
        } else if (!process.stdin.isTTY) {
          // Piped in: a script, with a non-zero exit after an error.
          if (!(await shell.runScript(await readStdin(), 'stdin'))) process.exitCode = 1;
        } else {
          await shell.interactive(
            'kots sql: views readings, events, raw_readings, consolidated_readings. End a statement with ";"; .help for more, .quit to leave.',
          );
        }
      } finally {
        db.close();
      }
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
