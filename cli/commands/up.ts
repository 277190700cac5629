/** `kots up`: the whole pipeline on one machine (cli/up/stack.ts). */
import type { Command } from 'commander';
import { loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run everything on this machine: broker, simulated agents, bridge, consumer, lake (Kafka and S3 when configured)')
    .option('--no-agents', 'start without the simulated agents (devices connect from elsewhere)')
    .option('--dashboard-port <port>', 'also serve the dashboard on this port (dashboard.port)', (v) => Number(v))
    .addHelpText('after', examples('kots up', 'kots up --dashboard-port 8080', 'KAFKA_BROKERS=localhost:9092 kots up --no-agents'))
    .action(async (opts: { agents: boolean; dashboardPort?: number }, command: Command) => {
      const { config, logger } = await loadContextAsync(command, { 'dashboard.port': opts.dashboardPort }, 'kots-up');
      const { startStack } = await import('../up/stack.js');
      const stack = await startStack(config, logger, { agents: opts.agents });
      onShutdown(() => stack.stop(), logger);
    });
}
