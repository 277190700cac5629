import type { Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import { checkServers, loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';

export function registerAlertsCommand(program: Command): void {
  program
    .command('alerts')
    .description('follow surreal-events: one line per event as it happens; optional Slack-compatible webhook (consumer.alertsWebhookUrl)')
    .option('--from-beginning', 'start from the first event the topic holds (for a new alerts group)')
    .option('--webhook <url>', 'post each event to this Slack-compatible webhook (overrides consumer.alertsWebhookUrl)')
    .addHelpText('after', examples('kots alerts', 'kots alerts --from-beginning', 'kots alerts --webhook https://hooks.slack.com/services/T000/B000/XXXX'))
    .action(async (opts: { fromBeginning?: boolean; webhook?: string }, command: Command) => {
      const { config, logger } = await loadContextAsync(command, opts.webhook ? { 'consumer.alertsWebhookUrl': opts.webhook } : {}, 'kots-alerts');
      if (config.kafka.brokers.length === 0)
        throw new KotsError(
          'CONFIG_INVALID',
          'kafka.brokers: `kots alerts` follows the surreal-events topic in Kafka (set KAFKA_BROKERS); `kots up` without Kafka prints events itself',
        );
      await checkServers(config, { kafka: true });
      const { followAlerts } = await import('../../consumer/alerts.js');
      const follower = await followAlerts({ config, logger, fromBeginning: opts.fromBeginning ?? false });
      onShutdown(() => follower.stop(), logger);
    });
}
