/** `kots consumer` on Kafka: a consumer group feeding the pipeline, offsets committed only after the lake write. */
// kafkajs is CommonJS and spreads its error classes into its exports, which ESM named imports do not see.
import kafkajs, { type Consumer, type IHeaders, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { HEADERS, type BusRecord } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { createKafka, ensureTopics } from '../core/kafka.js';
import type { Lake } from '../core/lake/index.js';
import { activeRules } from './events/variant-store.js';
import { WeatherPipeline, type SurrealAlert } from './pipeline.js';

export interface ConsumerHandle {
  readonly pipeline: WeatherPipeline;
  /** Writes what is buffered, commits, and leaves the group. */
  stop(): Promise<void>;
}

export interface KafkaConsumerOptions {
  config: KotsConfig;
  lake: Lake;
  logger: Logger;
  /** Called for each detected event after it is published (e.g. `kots up` prints them). */
  onAlert?: (alert: SurrealAlert) => void;
}

export async function startKafkaConsumer({ config, lake, logger, onAlert }: KafkaConsumerOptions): Promise<ConsumerHandle> {
  const kafka = createKafka(config.kafka, logger, '-consumer');
  await ensureTopics(kafka, config.kafka);
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer: Consumer = kafka.consumer({
    groupId: config.consumer.groupId,
    sessionTimeout: config.consumer.sessionTimeoutMs,
    heartbeatInterval: 3_000,
    rebalanceTimeout: 60_000,
  });
  const topic = config.kafka.weatherTopic;
  const { rules, variant } = await activeRules(config, lake);
  if (variant) logger.info('labelling with the game master\'s secret rules variant (kots challenge new)');
  let heartbeat: (() => Promise<void>) | undefined;

  const pipeline = new WeatherPipeline({
    lake,
    topic,
    group: config.consumer.groupId,
    batchMaxRecords: config.consumer.batchMaxRecords,
    batchMaxAgeMs: config.consumer.batchMaxAgeMs,
    maxBufferedBytes: config.consumer.maxBufferedBytes,
    logger,
    rules,
    hooks: {
      commit: (partition, nextOffset) => consumer.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]),
      heartbeat: async () => heartbeat?.(),
      deadLetter: async (record, reason) => {
        await producer.send({
          topic: config.kafka.deadLetterTopic,
          acks: -1,
          messages: [{ key: record.key ?? null, value: record.value, headers: { ...record.headers, [HEADERS.reason]: reason, [HEADERS.stage]: 'consumer' } }],
        });
      },
      publishAlerts: async (alerts) => {
        await producer.send({
          topic: config.kafka.eventsTopic,
          acks: -1,
          messages: alerts.map((alert) => ({ key: alert.city, value: JSON.stringify(alert) })),
        });
        for (const alert of alerts) onAlert?.(alert);
      },
    },
  });

  consumer.on(consumer.events.REBALANCING, () => {
    logger.info('consumer group rebalancing: unwritten batches are dropped and will be read again from the committed offsets');
    void pipeline.dropAllPartitions();
  });
  consumer.on(consumer.events.CRASH, (event) => logger.error({ err: String(event.payload.error), restart: event.payload.restart }, event.payload.restart ? 'kafka consumer crashed; kafkajs restarts it' : 'kafka consumer crashed and stopped'));

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: Math.max(1, config.kafka.partitions),
    eachBatch: async ({ batch, heartbeat: beat, isStale, isRunning }) => {
      heartbeat = beat;
      if (!isRunning() || isStale()) return;
      const records: BusRecord[] = batch.messages.map((m) => ({
        topic,
        partition: batch.partition,
        offset: BigInt(m.offset),
        timestamp: new Date(Number(m.timestamp)),
        key: m.key?.toString(),
        value: m.value ?? Buffer.alloc(0),
        headers: stringHeaders(m.headers),
      }));
      try {
        await pipeline.accept(batch.partition, records);
      } catch (error) {
        // kafkajs stops a consumer for good after an error it deems permanent; nothing the pipeline
        // throws is (it retries lake writes and dead-letter sends itself), so have kafkajs fetch again.
        throw new kafkajs.KafkaJSError(error as Error, { retriable: true });
      }
    },
  });
  const timer = setInterval(() => pipeline.flushAged(), 500);

  return {
    pipeline,
    async stop() {
      clearInterval(timer);
      await pipeline.flushAll();
      await consumer.disconnect();
      await pipeline.close({ flush: false });
      await producer.disconnect();
    },
  };
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return out;
}
