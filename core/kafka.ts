/** Kafka client set-up from config, shared by the bridge, the consumer and the alerts follower. */
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KotsConfig } from './config/index.js';

export function createKafka(config: KotsConfig['kafka'], logger: Logger, clientSuffix = ''): Kafka {
  const kafkaConfig: KafkaConfig = {
    clientId: `${config.clientId}${clientSuffix}`,
    brokers: config.brokers,
    ssl: config.ssl,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    // kafkajs retries inside each call; the stages add their own outer loop with back-off.
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      const fields = { namespace, ...extra };
      if (level === KafkaLogLevel.ERROR) logger.error(fields, `kafka: ${message}`);
      else if (level === KafkaLogLevel.WARN) logger.warn(fields, `kafka: ${message}`);
      else logger.debug(fields, `kafka: ${message}`);
    },
  };
  if (config.saslMechanism) {
    kafkaConfig.sasl = { mechanism: config.saslMechanism, username: config.saslUsername ?? '', password: config.saslPassword ?? '' } as SASLOptions;
  }
  return new Kafka(kafkaConfig);
}

/** Creates kots' topics when missing, with the configured partitions and replication. */
export async function ensureTopics(kafka: Kafka, config: KotsConfig['kafka']): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [config.weatherTopic, config.deadLetterTopic, config.eventsTopic].filter((t) => !existing.has(t));
    if (wanted.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((topic) => ({ topic, numPartitions: config.partitions, replicationFactor: config.replicationFactor })),
    });
  } finally {
    await admin.disconnect();
  }
}
