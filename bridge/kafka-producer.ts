/**
 * Which Kafka client produces the bridge's readings (kafka.producerClient): librdkafka when its
 * native build is installed (scripts/bridge/install-librdkafka-client.sh; 2x kafkajs' rate at
 * half the CPU, see bench/README.md), else kafkajs, which `npm install` alone provides.
 */
import type { Logger } from 'pino';
import type { ReadingSink } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { errorMessage, KotsError } from '../core/errors.js';
import { createKafka, ensureTopics } from '../core/kafka.js';
import {
  LIBRDKAFKA_CLIENT_INSTALL_SCRIPT,
  LIBRDKAFKA_CLIENT_PACKAGE,
  LIBRDKAFKA_CLIENT_VERSION,
  librdkafkaClientDir,
  librdkafkaClientInstalled,
} from '../core/librdkafka-client.js';
import { KafkaReadingSink, type KafkaSinkStatus } from './kafka-sink.js';

export type ProducerClient = 'kafkajs' | 'librdkafka';

export interface KafkaProducerSink extends ReadingSink {
  readonly status: KafkaSinkStatus;
}

export interface ConnectedSink {
  sink: KafkaProducerSink;
  client: ProducerClient;
}

/** The client kafka.producerClient asks for, given what is installed; a user error when librdkafka is asked for and missing. */
export function chooseProducerClient(config: KotsConfig['kafka'], installed = librdkafkaClientInstalled()): ProducerClient {
  if (config.producerClient === 'kafkajs') return 'kafkajs';
  if (installed) return 'librdkafka';
  if (config.producerClient === 'librdkafka') {
    throw new KotsError(
      'CONFIG_INVALID',
      `kafka.producerClient is librdkafka but it is not built for this Node (${librdkafkaClientDir()}): run ${LIBRDKAFKA_CLIENT_INSTALL_SCRIPT}, or set kafka.producerClient to auto`,
    );
  }
  return 'kafkajs';
}

/** Creates the topics and connects the sink on the chosen client; logs which client produces. */
export async function connectKafkaSink(config: KotsConfig, logger: Logger, clientSuffix: string): Promise<ConnectedSink> {
  const kafka = createKafka(config.kafka, logger, clientSuffix);
  await ensureTopics(kafka, config.kafka);
  const topics = { weatherTopic: config.kafka.weatherTopic, deadLetterTopic: config.kafka.deadLetterTopic };
  const client = chooseProducerClient(config.kafka);
  if (client === 'librdkafka') {
    const { LibrdkafkaReadingSink } = await import('./librdkafka-sink.js');
    let librdkafka: string | undefined;
    try {
      librdkafka = LibrdkafkaReadingSink.librdkafkaVersion();
    } catch (error) {
      const problem = `the librdkafka client in ${librdkafkaClientDir()} does not load (${errorMessage(error).split('\n')[0]}): rebuild it with ${LIBRDKAFKA_CLIENT_INSTALL_SCRIPT}`;
      if (config.kafka.producerClient === 'librdkafka') throw new KotsError('CONFIG_INVALID', `kafka.producerClient: ${problem}`);
      logger.warn(`${problem}; producing with kafkajs`);
    }
    if (librdkafka) {
      const sink = await LibrdkafkaReadingSink.connect({ kafka: config.kafka, clientSuffix, logger, ...topics });
      logger.info(
        { producerClient: 'librdkafka', package: `${LIBRDKAFKA_CLIENT_PACKAGE}@${LIBRDKAFKA_CLIENT_VERSION}`, librdkafka },
        'Kafka producer: librdkafka',
      );
      return { sink, client };
    }
  } else if (config.kafka.producerClient === 'auto') {
    logger.info(`Kafka producer: kafkajs (for the faster librdkafka producer run ${LIBRDKAFKA_CLIENT_INSTALL_SCRIPT})`);
  } else {
    logger.info({ producerClient: 'kafkajs' }, 'Kafka producer: kafkajs');
  }
  const sink = await KafkaReadingSink.connect({ kafka, logger, ...topics });
  return { sink, client: 'kafkajs' };
}
