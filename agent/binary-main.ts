/**
 * Entry point of the single-binary agent (`kots-agent`): the agent command is
 * the default, so a device runs `kots-agent --config /etc/kots/agent.yaml`;
 * `kots-agent simulate ...` is there too. Bundled by agent/build/build.ts.
 */
import { Command } from 'commander';
import { KotsError } from '../core/errors.js';
import { AGENT_VERSION } from './health.js';
import { registerAgentCommands } from './cli.js';

/** What `kots-agent --version` prints: the agent and the Node runtime this binary carries. */
export const VERSION_LINE = `kots-agent ${AGENT_VERSION} (Node ${process.version}, linux-${process.arch === 'arm' ? 'armv7l' : process.arch})`;

const program = new Command('kots-agent').description('kots edge agent: weather readings to MQTT with a disk spool').version(VERSION_LINE).showHelpAfterError();
registerAgentCommands(program, { agentIsDefault: true });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`kots-agent: ${error instanceof KotsError ? error.message : ((error as Error)?.stack ?? String(error))}\n`);
  process.exit(error instanceof KotsError && error.code === 'USAGE' ? 2 : 1);
});
