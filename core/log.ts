/**
 * The one logger factory: every command, agents included, logs through it, so `log.*`
 * means the same everywhere.
 *
 * - `json` (and `auto` when stderr is not a terminal): pino's JSON lines on stderr, for
 *   machines (journald, Docker, Loki). stderr, not stdout: `kots sql`, `kots tail` and
 *   `kots agent --once` keep stdout for their results.
 * - `pretty` (and `auto` on a terminal): one line of words per entry on stderr.
 * - `auto` on a terminal with a `file`: JSON lines go to that file and only warnings and
 *   errors reach `onNotice`, in words, for a command that owns the screen (`kots up`).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  level?: string;
  /** `log.format`; the old `log.pretty: true` means `pretty`. */
  format?: LogFormat;
  pretty?: boolean;
  name?: string;
  /** JSON log file for `auto` on a terminal (a command with a screen of its own). */
  file?: string;
  /** With `file`: receives warnings and errors as words, for the screen. */
  onNotice?: (notice: Notice) => void;
  /** Only for tests: whether to treat stderr as a terminal. */
  terminal?: boolean;
}

export interface Notice {
  level: 'warn' | 'error' | 'fatal';
  text: string;
}

export interface CreatedLogger extends Logger {
  /** Where JSON lines go when not stderr (printed at start by commands with a screen). */
  readonly kotsLogFile?: string;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Fields every entry carries that a person does not need to read. */
const QUIET_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'name', 'v']);

export function createLogger(options: LoggerOptions = {}): CreatedLogger {
  const level = options.level ?? process.env.KOTS_LOG_LEVEL ?? 'info';
  const base = { name: options.name ?? 'kots', level };
  const format: LogFormat = options.format ?? (options.pretty ? 'pretty' : 'auto');
  const terminal = options.terminal ?? process.stderr.isTTY === true;
  if (format === 'json' || (format === 'auto' && !terminal)) {
    return pino(base, pino.destination({ dest: 2, sync: true }));
  }
  if (format === 'auto' && options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    // Synchronous: a command that fails at start exits at once, and its last lines must be in the file.
    const file = pino.destination({ dest: options.file, sync: true, mkdir: true });
    const onNotice = options.onNotice;
    const stream: DestinationStream = {
      write(line: string) {
        file.write(line);
        if (!onNotice) return;
        const entry = parse(line);
        const name = LEVEL_NAMES[entry?.level as number];
        if (entry && (name === 'warn' || name === 'error' || name === 'fatal')) onNotice({ level: name, text: words(entry) });
      },
    };
    const logger = pino(base, stream) as CreatedLogger;
    Object.defineProperty(logger, 'kotsLogFile', { value: options.file });
    return logger;
  }
  return pino(base, {
    write(line: string) {
      const entry = parse(line);
      if (!entry) return void process.stderr.write(line);
      const at = new Date(entry.time as number).toTimeString().slice(0, 8);
      const name = (LEVEL_NAMES[entry.level as number] ?? 'log').toUpperCase().padEnd(5);
      process.stderr.write(`${at} ${name} ${words(entry)}\n`);
    },
  });
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** "message (device sim-kochi-1, reason connect ECONNREFUSED 127.0.0.1:1)": the message first, then what it is about. */
export function words(entry: Record<string, unknown>): string {
  const details: string[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (QUIET_FIELDS.has(key) || value === undefined) continue;
    const text = typeof value === 'object' ? ((value as { message?: string }).message ?? JSON.stringify(value)) : String(value);
    details.push(`${key} ${text}`);
  }
  const message = String(entry.msg ?? '');
  return details.length ? `${message} (${details.join(', ')})` : message;
}

export const silentLogger: Logger = pino({ level: 'silent' });
