/** `kots dashboard`: serves the central dashboard (see dashboard/README.md). */
import type { Command } from 'commander';
import { startDashboard } from '../../dashboard/index.js';
import { loadContextAsync, onShutdown } from '../context.js';

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the dashboard: city tiles, live event feed, charts and heat-map from the lake, fleet table (login: an operator of the bridge registry)')
    .option('-p, --port <port>', 'HTTP port (dashboard.port; 0 picks a free one)', (v) => Number(v))
    .option('--broker <url>', 'broker to subscribe to (dashboard.brokerUrl; default mqtt.url)')
    .action(async (opts: { port?: number; broker?: string }, command: Command) => {
      const { config, logger } = await loadContextAsync(command, { 'dashboard.port': opts.port, 'dashboard.brokerUrl': opts.broker }, 'kots-dashboard');
      const dashboard = await startDashboard({ config: { ...config, dashboard: { ...config.dashboard, port: config.dashboard.port ?? 8080 } }, logger });
      process.stdout.write(`kots dashboard: ${dashboard.url}\n`);
      onShutdown(() => dashboard.close(), logger);
    });
}
