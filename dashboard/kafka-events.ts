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

/** A record of the events topic as the consumer writes it (consumer/pipeline.ts SurrealAlert), or undefined. */
export function parseFeedEvent(text: string | undefined): FeedEvent | undefined {
  if (!text) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const strings = ['readingId', 'city', 'cityName', 'deviceId', 'observedAt', 'localTime', 'eventName', 'newsflash'] as const;
  if (typeof value !== 'object' || value === null || strings.some((k) => typeof value[k] !== 'string') || typeof value.eventId !== 'number') return undefined;
  const pick = (k: (typeof strings)[number]) => (value[k] as string).slice(0, 400);
  return {
    readingId: pick('readingId'),
    city: pick('city'),
    cityName: pick('cityName'),
    deviceId: pick('deviceId'),
    observedAt: pick('observedAt'),
    localTime: pick('localTime'),
    eventId: value.eventId,
    eventName: pick('eventName'),
    newsflash: pick('newsflash'),
  };
}
