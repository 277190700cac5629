import { pino, type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  name?: string;
}

/** Logs go to stderr so that commands like `kots sql` keep stdout for their results. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.KOTS_LOG_LEVEL ?? 'info';
  const base = { name: options.name ?? 'kots', level };
  if (options.pretty) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } });
  }
  return pino(base, pino.destination(2));
}

export const silentLogger: Logger = pino({ level: 'silent' });
