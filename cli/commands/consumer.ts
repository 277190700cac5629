import type { Command } from 'commander';
import { startKafkaConsumer } from '../../consumer/kafka-consumer.js';
import { KotsError } from '../../core/errors.js';
import { openLake } from '../../core/lake/index.js';
import { loadContextAsync, onShutdown } from '../context.js';

export function registerConsumerCommand(program: Command): void {
  program
    .command('consumer')
    .description('run the consumer: Kafka `weather` -> surreal events -> Parquet in the lake, alerts to `surreal-events`')
    .action(async (_opts, command: Command) => {
      const { config, logger } = await loadContextAsync(command, {}, 'kots-consumer');
      if (config.kafka.brokers.length === 0) {
        throw new KotsError('CONFIG_INVALID', 'kafka.brokers: the consumer needs Kafka (set KAFKA_BROKERS or kafka.brokers)');
      }
      const lake = openLake(config.lake);
      logger.info({ lake: lake.describe(), group: config.consumer.groupId }, 'consumer starting');
      const handle = await startKafkaConsumer({ config, lake, logger });
      onShutdown(() => handle.stop(), logger);
    });
}
