/**
 * The `kots sql` shell, with the DuckDB CLI's habits: dot commands (.help .tables .schema
 * .mode .timer .read .output .quit), Ctrl-C clears the line instead of leaving, table rows
 * cut to the terminal's width, a script's last statement runs without its semicolon, and a
 * script that hit an error ends with a non-zero exit code (at once with --bail).
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DuckDBConnection } from '@duckdb/node-api';
import cliTruncate from 'cli-truncate';
import { errorMessage } from '../../core/errors.js';
import { formatResult, runQuery, type OutputFormat } from '../../lakehouse/format.js';
import { hasCode, splitStatements } from './statements.js';

export type ShellMode = Exclude<OutputFormat, 'parquet'>;
const MODES: readonly ShellMode[] = ['table', 'csv', 'json'];

export interface ShellOptions {
  mode: ShellMode;
  /** Stop a script at its first error. */
  bail: boolean;
  /** Results go here (stdout, or `.output FILE`). */
  write?: (text: string) => void;
  /** Width to cut table rows to; undefined: no cutting (not a terminal). */
  width?: () => number | undefined;
}

const HELP = `.help              this list
.tables            the views and tables
.schema [NAME]     columns and types of NAME (or of every view)
.mode MODE         result format: table, csv or json
.timer on|off      print the time each statement took
.read FILE         run the SQL (and dot commands) in FILE
.output [FILE]     send results to FILE; without FILE back to the screen
.quit / .exit      leave (also Ctrl-D)
Statements end with ";". Ctrl-C clears the line being typed.`;

/** Thrown by `.quit` inside a script, to stop it without an error. */
class Quit extends Error {}
/** Thrown at the first error with --bail: the script stops there (the error is printed and counted already). */
class Bail extends Error {}

export class SqlShell {
  private mode: ShellMode;
  private timer = false;
  private outputFile: string | undefined;
  /** Errors seen, for the exit code of a script. */
  errors = 0;

  constructor(
    private readonly connection: DuckDBConnection,
    private readonly options: ShellOptions,
  ) {
    this.mode = options.mode;
  }

  /** Runs a whole script (a file, -c, or piped input). Returns false when a statement failed. */
  async runScript(text: string, source: string): Promise<boolean> {
    const before = this.errors;
    try {
      await this.feed(text, source);
    } catch (error) {
      if (!(error instanceof Quit) && !(error instanceof Bail)) throw error;
    }
    return this.errors === before;
  }

  private async feed(text: string, source: string): Promise<void> {
    let buffer = '';
    let lineNumber = 0;
    for (const line of text.split('\n')) {
      lineNumber++;
      if (!hasCode(buffer) && line.trimStart().startsWith('.')) {
        buffer = '';
        if ((await this.dot(line.trim(), `${source}:${lineNumber}`)) === 'quit') throw new Quit();
        continue;
      }
      buffer += `${line}\n`;
      const { statements, rest } = splitStatements(buffer);
      buffer = rest;
      for (const sql of statements) await this.execute(sql, `${source}:${lineNumber}`);
    }
    // The DuckDB CLI runs a last statement that lacks its semicolon; so do we.
    if (hasCode(buffer)) await this.execute(buffer.trim(), `${source}:${lineNumber}`);
  }

  /** Runs one statement and prints its result; an error is printed and counted (and ends the script with --bail). */
  async execute(sql: string, where?: string): Promise<boolean> {
    const started = process.hrtime.bigint();
    try {
      const result = await runQuery(this.connection, sql);
      if (result.columns.length > 0) this.print(formatResult(result, this.mode));
      if (this.timer) process.stderr.write(`Run Time: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(3)} s\n`);
      return true;
    } catch (error) {
      this.errors++;
      process.stderr.write(`error${where ? ` (${where})` : ''}: ${errorMessage(error).split('\n')[0]}\n`);
      if (this.options.bail) throw new Bail();
      return false;
    }
  }

  private print(text: string): void {
    if (this.outputFile) {
      appendFileSync(this.outputFile, `${text}\n`);
      return;
    }
    const width = this.mode === 'table' ? this.options.width?.() : undefined;
    const shown = width
      ? text
          .split('\n')
          .map((line) => cliTruncate(line, width))
          .join('\n')
      : text;
    (this.options.write ?? ((t: string) => void process.stdout.write(t)))(`${shown}\n`);
  }

  /** A dot command; returns 'quit' for .quit/.exit. */
  async dot(line: string, where?: string): Promise<'quit' | undefined> {
    const [command, ...args] = line.split(/\s+/);
    const arg = args.join(' ').trim();
    switch (command) {
      case '.quit':
      case '.exit':
        return 'quit';
      case '.help':
        process.stdout.write(`${HELP}\n`);
        return;
      case '.tables': {
        const result = await runQuery(this.connection, 'SHOW TABLES');
        this.print(result.rows.map((r) => String(r[0])).join('  '));
        return;
      }
      case '.schema': {
        const names = arg ? [arg] : (await runQuery(this.connection, 'SHOW TABLES')).rows.map((r) => String(r[0]));
        for (const name of names) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return this.fail(`.schema expects a view or table name, got "${name}"`, where);
          const ok = await this.execute(`DESCRIBE ${name}`, where);
          if (!ok) return;
        }
        return;
      }
      case '.mode':
        if (!MODES.includes(arg as ShellMode)) return this.fail(`.mode expects ${MODES.join(', ')}${arg ? `, got "${arg}"` : ''} (now ${this.mode})`, where);
        this.mode = arg as ShellMode;
        return;
      case '.timer':
        if (arg !== 'on' && arg !== 'off') return this.fail('.timer expects on or off', where);
        this.timer = arg === 'on';
        return;
      case '.read': {
        if (!arg) return this.fail('.read expects a file name', where);
        if (!existsSync(arg)) return this.fail(`.read: ${arg}: no such file`, where);
        await this.feed(readFileSync(arg, 'utf8'), arg);
        return;
      }
      case '.output':
        if (arg) writeFileSync(arg, '');
        this.outputFile = arg || undefined;
        return;
      default:
        return this.fail(`unknown command ${command}; .help lists them`, where);
    }
  }

  /** Reports a failed command; answers undefined so a dot command can `return this.fail(...)` and go on. */
  private fail(message: string, where?: string): undefined {
    this.errors++;
    process.stderr.write(`error${where ? ` (${where})` : ''}: ${message}\n`);
    if (this.options.bail) throw new Bail();
    return undefined;
  }

  /** The prompt, for a person at a terminal. Resolves when they leave (.quit, Ctrl-D). */
  async interactive(banner: string): Promise<void> {
    const historyFile = join(homedir(), '.kots_sql_history');
    const history = existsSync(historyFile) ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500) : [];
    const rl = createInterface({ input: process.stdin, output: process.stdout, history, terminal: process.stdin.isTTY === true, historySize: 500 });
    process.stdout.write(`${banner}\n`);
    let buffer = '';
    const prompt = () => {
      rl.setPrompt(buffer ? '   ...> ' : 'kots> ');
      rl.prompt();
    };
    // Ctrl-C clears what is being typed (the line and an unfinished statement), as in the DuckDB CLI and psql.
    rl.on('SIGINT', () => {
      const typing = rl.line.length > 0 || buffer.length > 0;
      buffer = '';
      rl.write(null, { ctrl: true, name: 'u' });
      process.stdout.write(typing ? '^C\n' : '^C (.quit or Ctrl-D leaves)\n');
      prompt();
    });
    prompt();
    for await (const line of rl) {
      if (!hasCode(buffer) && line.trimStart().startsWith('.')) {
        buffer = '';
        appendFileSync(historyFile, `${line.trim()}\n`);
        try {
          if ((await this.dot(line.trim())) === 'quit') break;
        } catch (error) {
          process.stderr.write(`error: ${errorMessage(error)}\n`);
        }
        prompt();
        continue;
      }
      buffer += `${line}\n`;
      const { statements, rest } = splitStatements(buffer);
      buffer = hasCode(rest) ? rest : '';
      for (const sql of statements) {
        appendFileSync(historyFile, `${sql.replace(/\n/g, ' ')};\n`);
        await this.execute(sql);
      }
      prompt();
    }
    rl.close();
  }
}
