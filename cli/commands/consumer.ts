import type { Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import { checkServers, loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';

export function registerConsumerCommand(program: Command): void {
  program
    .command('consumer')
    .description('run the consumer: Kafka `weather` -> surreal events -> Parquet in the lake, alerts to `surreal-events`')
    .addHelpText(
      'after',
      examples('KAFKA_BROKERS=localhost:9092 KOTS_LAKE_PATH=/var/lib/kots/lake kots consumer', 'kots --config config/central.yaml consumer'),
    )
    .action(async (_opts, command: Command) => {
      const { config, logger } = await loadContextAsync(command, {}, 'kots-consumer');
      if (config.kafka.brokers.length === 0) {
        throw new KotsError('CONFIG_INVALID', 'kafka.brokers: the consumer needs Kafka (set KAFKA_BROKERS or kafka.brokers)');
      }
      await checkServers(config, { kafka: true, lake: true });
      const [{ startKafkaConsumer }, { openLake }] = await Promise.all([import('../../consumer/kafka-consumer.js'), import('../../core/lake/index.js')]);
      const lake = openLake(config.lake);
      logger.info({ lake: lake.describe(), group: config.consumer.groupId }, 'consumer starting');
      const handle = await startKafkaConsumer({ config, lake, logger });
      onShutdown(() => handle.stop(), logger);
    });
}
