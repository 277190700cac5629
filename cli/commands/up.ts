/** `kots up`: the whole pipeline on one machine (cli/up/stack.ts), shown on cli/up/screen.ts. */
import type { Command } from 'commander';
import { checkServers, loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';

export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('run everything on this machine: broker, simulated agents, bridge, consumer, lake (Kafka and S3 when configured)')
    .option('--no-agents', 'start without the simulated agents (devices connect from elsewhere)')
    .option('--dashboard-port <port>', 'also serve the dashboard on this port (dashboard.port; 0 picks a free one)', (v) => Number(v))
    .addHelpText(
      'after',
      examples('kots up', 'kots up --dashboard-port 8080', 'kots --log-format json up > kots.log', 'KAFKA_BROKERS=localhost:9092 kots up --no-agents'),
    )
    .action(async (opts: { agents: boolean; dashboardPort?: number }, command: Command) => {
      const [{ startStack }, { plainView, terminalView }, { DEFAULT_CITIES, resolveCity }] = await Promise.all([
        import('../up/stack.js'),
        import('../up/screen.js'),
        import('../../agent/cities.js'),
      ]);
      // The screen is for people at a terminal asking for words; JSON logs then go to a file.
      let onNotice: ((notice: import('../../core/log.js').Notice) => void) | undefined;
      const pending: Array<import('../../core/log.js').Notice> = [];
      const wantsScreen = process.stdout.isTTY === true && process.stderr.isTTY === true;
      const { config, logger } = await loadContextAsync(
        command,
        { 'dashboard.port': opts.dashboardPort },
        'kots-up',
        wantsScreen ? { onNotice: (n) => (onNotice ? onNotice(n) : pending.push(n)) } : {},
      );
      // A Kafka or S3 that does not answer: one line naming it, before anything starts.
      await checkServers(config, { kafka: true, lake: true });
      const screen = wantsScreen && config.log.format === 'auto' && logger.kotsLogFile !== undefined;
      const cities = (config.up.cities ?? DEFAULT_CITIES).map((city) => resolveCity(city));
      const view = screen
        ? terminalView(
            process.stdout,
            cities.map((c) => ({ slug: c.slug, name: c.name })),
          )
        : plainView(process.stdout);
      onNotice = (notice) => view.notice(notice);
      for (const notice of pending.splice(0)) view.notice(notice);
      if (logger.kotsLogFile) view.info(`kots up: logs (JSON lines) in ${logger.kotsLogFile}`);
      const stack = await startStack(config, logger, { agents: opts.agents, view });
      onShutdown(() => stack.stop(), logger, { quiet: screen });
    });
}
