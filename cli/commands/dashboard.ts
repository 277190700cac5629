/** `kots dashboard`: serves the central dashboard (see dashboard/README.md). */
import type { Command } from 'commander';
import { loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the dashboard: city tiles, live event feed, charts and heat-map from the lake, fleet table (login: an operator of the bridge registry)')
    .option('-p, --port <port>', 'HTTP port (dashboard.port; 0 picks a free one)', (v) => Number(v))
    .option('--broker <url>', 'broker to subscribe to (dashboard.brokerUrl; default mqtt.url)')
    .addHelpText('after', examples('kots dashboard --port 8080', 'kots dashboard --port 0 --broker mqtts://broker.example:8883'))
    .action(async (opts: { port?: number; broker?: string }, command: Command) => {
      const { config, logger } = await loadContextAsync(command, { 'dashboard.port': opts.port, 'dashboard.brokerUrl': opts.broker }, 'kots-dashboard');
      const { startDashboard } = await import('../../dashboard/index.js');
      const dashboard = await startDashboard({ config: { ...config, dashboard: { ...config.dashboard, port: config.dashboard.port ?? 8080 } }, logger });
      process.stdout.write(`kots dashboard: ${dashboard.url}\n`);
      onShutdown(() => dashboard.close(), logger);
    });
}
