import { createInterface } from 'node:readline/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import type { OutputFormat } from '../../lakehouse/format.js';
import { loadContextAsync } from '../context.js';
import { applyVariables, collectVariable, type SqlVariable } from '../sql-vars.js';

interface SqlOptions {
  format: OutputFormat;
  output?: string;
  motherduck?: boolean;
  dryRun?: boolean;
  file?: string;
  var: SqlVariable[];
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .description('query the lake with DuckDB (views: readings, events, raw_readings, consolidated_readings); no query opens a prompt')
    .argument('[query]', 'SQL to run')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'csv', 'json', 'parquet']).default('table'))
    .option('-o, --output <file>', 'file for --format parquet')
    .option('--motherduck', 'create the views in MotherDuck (md:<duckdb.motherduckDatabase>); the default when duckdb.motherduckToken is set')
    .option('--no-motherduck', 'use a local in-memory DuckDB even when a MotherDuck token is configured')
    .option('--file <path>', 'run the SQL in this file (e.g. analysis/05-local-hour.sql); statements separated by ";"')
    .option('--var <name=value>', 'set a SQL variable (getvariable(\'name\')) before the query; overrides the file\'s own SET VARIABLE name (repeatable)', collectVariable, [])
    .option('--dry-run', 'print the statements that create the views (credentials shown as ***) and exit without connecting')
    .action(async (query: string | undefined, opts: SqlOptions, command: Command) => {
      const { config } = await loadContextAsync(command);
      const [{ openLakeLazily }, { openLakeDatabase }, { checkMotherDuckConfig, motherduckStatements }, { readSnapshot }, { viewStatements }] = await Promise.all([
        import('../../core/lake/open.js'),
        import('../../lakehouse/database.js'),
        import('../../lakehouse/motherduck.js'),
        import('../../lakehouse/snapshot.js'),
        import('../../lakehouse/views.js'),
      ]);
      const motherduck = opts.motherduck ?? config.duckdb.motherduckToken !== undefined;
      if (motherduck) checkMotherDuckConfig(config);
      if (opts.dryRun) {
        const lake = await openLakeLazily(config.lake);
        const snapshot = await readSnapshot(lake);
        const statements = motherduck ? motherduckStatements(config, lake, snapshot).map((s) => s.shown) : viewStatements(lake, snapshot).map((s) => s.sql);
        process.stdout.write(`-- ${motherduck ? `MotherDuck md:${config.duckdb.motherduckDatabase}` : 'local DuckDB'} over ${lake.describe()}\n${statements.map((s) => `${s};`).join('\n')}\n`);
        return;
      }
      if (opts.file) {
        if (query) throw new KotsError('USAGE', 'give the SQL either as an argument or with --file, not both');
        query = readFileSync(opts.file, 'utf8');
      }
      if (query && opts.var.length > 0) query = applyVariables(query, opts.var);
      const db = await openLakeDatabase(config, undefined, { motherduck });
      try {
        if (query) {
          await runOne(db.connection, query, opts);
          return;
        }
        await interactive(db.connection, opts);
      } finally {
        db.close();
      }
    });
}

type Connection = Parameters<typeof import('../../lakehouse/format.js').runQuery>[0];

async function runOne(connection: Connection, query: string, opts: { format: OutputFormat; output?: string }): Promise<void> {
  const { formatResult, runQuery, writeParquet } = await import('../../lakehouse/format.js');
  if (opts.format === 'parquet') {
    if (!opts.output) throw new Error('--format parquet needs --output FILE');
    await writeParquet(connection, query, opts.output);
    process.stdout.write(`wrote ${opts.output}\n`);
    return;
  }
  process.stdout.write(`${formatResult(await runQuery(connection, query), opts.format)}\n`);
}

async function interactive(connection: Connection, opts: { format: OutputFormat; output?: string }): Promise<void> {
  const historyFile = join(homedir(), '.kots_sql_history');
  const history = existsSync(historyFile) ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500) : [];
  const rl = createInterface({ input: process.stdin, output: process.stdout, history, terminal: process.stdin.isTTY });
  process.stdout.write('kots sql: views readings, events, raw_readings, consolidated_readings. End a query with ";", .quit to leave.\n');
  let buffer = '';
  for (;;) {
    let line: string;
    try {
      line = await rl.question(buffer ? '   ...> ' : 'kots> ');
    } catch {
      break;
    }
    if (!buffer && /^\s*\.(quit|exit)\s*$/.test(line)) break;
    buffer += `${line}\n`;
    if (!buffer.trim().endsWith(';')) continue;
    const sql = buffer.trim();
    buffer = '';
    appendFileSync(historyFile, `${sql.replace(/\n/g, ' ')}\n`);
    try {
      await runOne(connection, sql, opts);
    } catch (error) {
      process.stdout.write(`error: ${(error as Error).message}\n`);
    }
  }
  rl.close();
}
