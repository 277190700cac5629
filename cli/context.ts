/** What every sub-command needs: its config (loaded once, errors naming the key), a logger, and one way to fail. */
import type { Command } from 'commander';
import { CommanderError } from 'commander';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError, type KotsErrorCode } from '../core/errors.js';
import type { CreatedLogger, Notice } from '../core/log.js';

export interface CommandContext {
  config: KotsConfig;
  logger: CreatedLogger;
}

export interface ContextOptions {
  /** For a command that draws its own screen: on a terminal, JSON logs go to log.file and warnings reach here. */
  onNotice?: (notice: Notice) => void;
}

export function globalConfigFile(command: Command): string | undefined {
  let root: Command = command;
  while (root.parent) root = root.parent;
  return (root.opts() as { config?: string }).config ?? process.env.KOTS_CONFIG;
}

/** Config (file, environment, and secrets: `vault:` references and Vault default paths resolved once, at start) and a logger. */
export async function loadContextAsync(
  command: Command,
  overrides: Record<string, unknown> = {},
  name = 'kots',
  options: ContextOptions = {},
): Promise<CommandContext> {
  // Loaded here, not at the top: `kots --help` and `--version` need neither zod nor pino nor Vault.
  const [{ loadConfigWithSecrets }, { createLogger }, { join }] = await Promise.all([
    import('../core/secrets/index.js'),
    import('../core/log.js'),
    import('node:path'),
  ]);
  const file = globalConfigFile(command);
  const config = await loadConfigWithSecrets({ ...(file ? { file } : {}), overrides });
  const logger = createLogger({
    level: config.log.level,
    format: config.log.format,
    pretty: config.log.pretty,
    name,
    ...(options.onNotice ? { file: config.log.file ?? join(config.up.stateDir, 'kots.log'), onNotice: options.onNotice } : {}),
  });
  return { config, logger };
}

/** Fails in one line, naming server, address and setting, when a server the command needs does not answer. */
export async function checkServers(config: KotsConfig, needs: { kafka?: boolean; lake?: boolean }): Promise<void> {
  const { assertKafkaReachable, assertLakeReachable } = await import('../core/reachable.js');
  if (needs.kafka && config.kafka.brokers.length > 0) await assertKafkaReachable(config.kafka);
  if (needs.lake) await assertLakeReachable(config.lake);
}

/** Mistakes of the person at the keyboard: exit code 2, as commander and most Unix tools do. */
const USER_ERRORS: ReadonlySet<KotsErrorCode> = new Set(['USAGE', 'CONFIG_INVALID', 'CONFIG_FILE_UNREADABLE', 'SECRET_MISSING']);

/** `--debug` (or KOTS_DEBUG=1): stack traces for every error. */
export function debugging(): boolean {
  return process.argv.includes('--debug') || process.env.KOTS_DEBUG === '1';
}

/**
 * Turns an error into one line on stderr and an exit code: 2 for what the user can fix
 * (usage, settings), 1 for the rest. Stack traces only with --debug.
 */
export function reportFatal(error: unknown): never {
  if (error instanceof CommanderError) {
    // commander has printed its message (and help or the version, which exit 0).
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  const debug = debugging();
  if (error instanceof KotsError) {
    process.stderr.write(`kots: ${error.message}\n`);
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exit(USER_ERRORS.has(error.code) ? 2 : 1);
  }
  const message = error instanceof Error ? error.message : String(error);
  const io = describeSystemError(error);
  if (io) {
    process.stderr.write(`kots: ${io}\n`);
    if (debug) process.stderr.write(`${(error as Error).stack}\n`);
    process.exit(2);
  }
  if (debug) process.stderr.write(`kots: ${(error as Error)?.stack ?? message}\n`);
  else process.stderr.write(`kots: ${message.split('\n')[0]} (run again with --debug for the stack trace)\n`);
  process.exit(1);
}

/** A missing or forbidden file named on the command line is the user's to fix. */
function describeSystemError(error: unknown): string | undefined {
  const { code, path, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (!path || !syscall) return undefined;
  if (code === 'ENOENT') return `${path}: no such file or folder; check the path`;
  if (code === 'EACCES' || code === 'EPERM') return `${path}: permission denied`;
  if (code === 'EISDIR') return `${path}: is a folder, expected a file`;
  return undefined;
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. A second signal exits at once. */
export function onShutdown(stop: () => Promise<void>, logger: CreatedLogger, options: { quiet?: boolean } = {}): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    if (!options.quiet) logger.info({ signal }, 'shutting down: flushing what is buffered');
    stop().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
