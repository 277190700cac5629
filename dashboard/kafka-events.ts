/**
 * Surreal events from the Kafka `surreal-events` topic, for a dashboard that
 * runs apart from the consumer. Each dashboard process is its own consumer
 * group starting at the end of the topic: every instance sees every event,
 * and history before the start comes from the lake instead.
 */
import { hostname } from 'node:os';
import type { Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KotsConfig } from '../core/config/index.js';
import { parseAlertRecord } from '../consumer/alert-record.js';
import { createKafka } from '../core/kafka.js';
import type { FeedEvent } from './live-state.js';

export interface KafkaEventFeed {
  close(): Promise<void>;
}

export async function startKafkaEventFeed(config: KotsConfig, logger: Logger, onEvent: (event: FeedEvent) => void): Promise<KafkaEventFeed> {
  const kafka = createKafka(config.kafka, logger, '-dashboard');
  const groupId = `kots-dashboard-${hostname()}-${process.pid}-${Date.now().toString(36)}`;
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.eventsTopic, fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = parseFeedEvent(message.value?.toString('utf8'));
      if (event) onEvent(event);
      else logger.warn({ topic: config.kafka.eventsTopic, offset: message.offset }, 'record on the events topic is not a surreal event; ignored');
    },
  });
  logger.info({ topic: config.kafka.eventsTopic, groupId }, 'dashboard following surreal events on Kafka');
  return { close: () => consumer.disconnect() };
}

/** A record of the events topic as the consumer writes it (consumer/alert-record.ts), or undefined. */
export function parseFeedEvent(text: string | undefined): FeedEvent | undefined {
  const verdict = parseAlertRecord(text);
  return verdict.ok ? verdict.alert : undefined;
}
