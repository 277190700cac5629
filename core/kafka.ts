/** Kafka client set-up from config, shared by the bridge, the consumer and the alerts follower. */
import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KotsConfig } from './config/index.js';

/**
 * kafkajs 2.2.4 (its last release) schedules its request-queue check with a timeout computed from
 * an unset throttle time, a large negative number; Node 24 clamps it to 1 ms, which is what
 * kafkajs meant, and prints a TimeoutNegativeWarning on every connection (tulios/kafkajs#1751,
 * fixed upstream in PRs that were never released). Only that warning, raised from inside
 * kafkajs, is dropped; every other warning, and this one from any other code, is printed
 * (Node prints it once per process, so one of ours raised after kafkajs' would not show anyway).
 */
function dropKafkajsNegativeTimeoutWarning(): void {
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = warning instanceof Error ? warning.name : type;
    if (name === 'TimeoutNegativeWarning' && /[\\/]kafkajs[\\/]src[\\/]network[\\/]requestQueue/.test(new Error().stack ?? '')) return;
    emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
}
dropKafkajsNegativeTimeoutWarning();

/** kafkajs messages that are expected in kots' set-up and say nothing an operator should act on. */
const EXPECTED_KAFKAJS_WARNINGS = [
  // kots bounds kafkajs' own retries and retries whole sends itself; a record sent twice after
  // such a retry is removed downstream by its reading id (at least once, exactly once in the lake).
  'Limiting retries for the idempotent producer may invalidate EoS guarantees',
];

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
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        const { message, ...extra } = log;
        const fields = { namespace, ...extra };
        if (level === KafkaLogLevel.ERROR) logger.error(fields, `kafka: ${message}`);
        else if (level === KafkaLogLevel.WARN && !EXPECTED_KAFKAJS_WARNINGS.includes(String(message))) logger.warn(fields, `kafka: ${message}`);
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
