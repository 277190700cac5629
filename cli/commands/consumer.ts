import type { Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import { checkServers, loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';
import { reexecWith } from '../runtime-flags.js';

/**
 * The consumer allocates fast and keeps little (batches are its readings' text, at most
 * consumer.maxBufferedBytes). With Node 24's defaults its young generation grew to 2 x 64 MB and
 * its old generation to 200 MB, mostly garbage, before a collection: 446-490 MiB resident where
 * 60 MiB were live. A 2 MB semi-space and a 160 MB old generation (about three times what it holds
 * at most) keep it within its 256 MiB budget (bench/README.md, "The consumer"); GC takes about 0.2
 * of its CPU then.
 */
export const CONSUMER_V8_FLAGS = ['--max-semi-space-size=2', '--max-old-space-size=160'];

export function registerConsumerCommand(program: Command): void {
  program
    .command('consumer')
    .description('run the consumer: Kafka `weather` -> surreal events -> Parquet in the lake, alerts to `surreal-events`')
    .addHelpText(
      'after',
      examples('KAFKA_BROKERS=localhost:9092 KOTS_LAKE_PATH=/var/lib/kots/lake kots consumer', 'kots --config config/central.yaml consumer'),
    )
    .action(async (_opts, command: Command) => {
      reexecWith(CONSUMER_V8_FLAGS);
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
