/**
 * `kots agent`. Registered into the main `kots` program
 * (cli/main.ts) and into the single-binary agent (agent/binary-main.ts).
 *
 * `--config FILE` is read from the sub-command or, when the program declares
 * a global `-c, --config`, from there (optsWithGlobals), then KOTS_CONFIG.
 */
import type { Command } from 'commander';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError } from '../core/errors.js';

interface AgentCliOptions {
  config?: string;
  once?: boolean;
  count?: number;
}

function configFile(command: Command): string | undefined {
  return (command.optsWithGlobals() as { config?: string }).config ?? process.env.KOTS_CONFIG;
}

/** Settings from file and environment, secrets (the OpenWeather key, the MQTT password) optionally from Vault. */
async function load(command: Command): Promise<KotsConfig> {
  // Loaded when a command runs, so that `kots --help` does not load zod, MQTT.js and Vault.
  const { loadConfigWithSecrets } = await import('../core/secrets/resolve.js');
  const file = configFile(command);
  return loadConfigWithSecrets(file ? { file } : {});
}

function positiveInteger(name: string) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new KotsError('USAGE', `${name} expects a positive whole number, got "${text}"`);
    return value;
  };
}

function hasOption(program: Command, long: string): boolean {
  return program.options.some((option) => option.long === long);
}

/** Stops on SIGINT/SIGTERM with the spool flushed to disk; a second signal exits at once. */
function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) process.exit(130);
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export interface RegisterOptions {
  /** Make `agent` the default command (the single binary: `kots-agent --config FILE`). */
  agentIsDefault?: boolean;
}

export function registerAgentCommands(program: Command, options: RegisterOptions = {}): void {
  const withConfig = (command: Command) =>
    hasOption(program, '--config') ? command : command.option('-c, --config <file>', 'YAML config file (also KOTS_CONFIG)');

  withConfig(
    program
      .command('agent', { isDefault: options.agentIsDefault ?? false })
      .description('run the edge agent: readings from the configured source, spooled on disk, published to MQTT (QoS 1)')
      .option('--once', 'take one reading, print it as JSON, and exit (no spool, no broker)')
      .option('--count <n>', 'take this many readings, wait until the broker acknowledged all of them, and exit', positiveInteger('--count'))
      .addHelpText(
        'after',
        '\nExamples:\n  $ kots agent --config /etc/kots/agent.yaml\n  $ kots agent --config agent.yaml --once\n  $ KOTS_AGENT_DEVICE_ID=pi-1 KOTS_AGENT_CITY_NAME=Kochi MQTT_URL=mqtt://broker:1883 kots agent --count 10\n',
      ),
  ).action(async (opts: AgentCliOptions, command: Command) => {
    const config = await load(command);
    const { agentLogger, startAgent, takeOneReading } = await import('./index.js');
    if (opts.once) {
      process.stdout.write(`${JSON.stringify(await takeOneReading(config), null, 2)}\n`);
      return;
    }
    const agent = await startAgent({ config, logger: agentLogger(config), ...(opts.count !== undefined ? { maxReadings: opts.count } : {}) });
    stopOnSignal(() => agent.stop());
    if (opts.count !== undefined) {
      await agent.finished;
      await agent.drained();
      await agent.stop();
      process.exit(0);
    }
    // Runs until a signal; a fatal error (refused API key, broken spool) ends it with a message.
    await agent.finished;
    await agent.stop();
  });
}
