/** What every sub-command needs: its config (loaded once, errors naming the key) and a logger. */
import type { Command } from 'commander';
import type { KotsConfig } from '../core/config/index.js';
import { ConfigError, KotsError } from '../core/errors.js';
import type { Logger } from '../core/log.js';

export interface CommandContext {
  config: KotsConfig;
  logger: Logger;
}

export function globalConfigFile(command: Command): string | undefined {
  let root: Command = command;
  while (root.parent) root = root.parent;
  return (root.opts() as { config?: string }).config ?? process.env.KOTS_CONFIG;
}

/** Config (file, environment, and secrets: `vault:` references and Vault default paths resolved once, at start) and a logger. */
export async function loadContextAsync(command: Command, overrides: Record<string, unknown> = {}, name = 'kots'): Promise<CommandContext> {
  // Loaded here, not at the top: `kots --help` and `--version` need neither zod nor pino nor Vault.
  const [{ loadConfigWithSecrets }, { createLogger }] = await Promise.all([import('../core/secrets/index.js'), import('../core/log.js')]);
  const file = globalConfigFile(command);
  const config = await loadConfigWithSecrets({ ...(file ? { file } : {}), overrides });
  const logger = createLogger({ level: config.log.level, pretty: config.log.pretty, name });
  return { config, logger };
}

/** Turns known errors into one clear message and an exit code; unknown ones keep their stack. */
export function reportFatal(error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`kots: ${error.message}\n`);
    process.exit(2);
  }
  if (error instanceof KotsError) {
    process.stderr.write(`kots: ${error.message}\n`);
    process.exit(error.code === 'USAGE' ? 2 : 1);
  }
  process.stderr.write(`kots: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}

/** Runs `stop` once on SIGINT/SIGTERM, then exits. A second signal exits at once. */
export function onShutdown(stop: () => Promise<void>, logger: Logger): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down: flushing what is buffered');
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
