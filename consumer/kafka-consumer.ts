/** `kots consumer` on Kafka: a consumer group feeding the pipeline, offsets committed only after the lake write. */
// kafkajs is CommonJS and spreads its error classes into its exports, which ESM named imports do not see.
import kafkajs, { type Admin, type Consumer, type IHeaders, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { HEADERS, type BusRecord } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { createKafka, ensureTopics } from '../core/kafka.js';
import type { Lake } from '../core/lake/index.js';
import { startStatusServer, type MetricsServer } from '../core/metrics-server.js';
import { activeRules } from './events/variant-store.js';
import { ConsumerMetrics, readGroupLag, type PartitionLag } from './metrics.js';
import { WeatherPipeline, type SurrealAlert } from './pipeline.js';

export interface ConsumerHandle {
  readonly pipeline: WeatherPipeline;
  readonly metrics: ConsumerMetrics;
  /** Set when consumer.metricsPort is configured. */
  readonly metricsServer: MetricsServer | undefined;
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
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  const consumer: Consumer = kafka.consumer({
    groupId: config.consumer.groupId,
    sessionTimeout: config.consumer.sessionTimeoutMs,
    heartbeatInterval: 3_000,
    rebalanceTimeout: 60_000,
  });
  const topic = config.kafka.weatherTopic;
  const { rules, variant } = await activeRules(config, lake);
  if (variant) logger.info("labelling with the game master's secret rules variant (kots challenge new)");
  let heartbeat: (() => Promise<void>) | undefined;
  let kafkaError: string | undefined;
  const admin: Admin = kafka.admin();
  const lag = cachedLag(async () => {
    await admin.connect(); // a no-op once connected
    return readGroupLag(admin, topic, config.consumer.groupId);
  });
  const metrics = new ConsumerMetrics({ bufferedBytes: () => pipeline.stats.bufferedBytes, lag });

  const pipeline = new WeatherPipeline({
    lake,
    topic,
    group: config.consumer.groupId,
    batchMaxRecords: config.consumer.batchMaxRecords,
    batchMaxAgeMs: config.consumer.batchMaxAgeMs,
    maxBufferedBytes: config.consumer.maxBufferedBytes,
    logger,
    rules,
    metrics,
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
  consumer.on(consumer.events.CRASH, (event) => {
    kafkaError = String(event.payload.error);
    logger.error(
      { err: kafkaError, restart: event.payload.restart },
      event.payload.restart ? 'kafka consumer crashed; kafkajs restarts it' : 'kafka consumer crashed and stopped',
    );
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    kafkaError = undefined;
  });

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
  const metricsServer =
    config.consumer.metricsPort === undefined
      ? undefined
      : await startStatusServer(
          {
            metrics: async () => ({ contentType: metrics.registry.contentType, text: await metrics.registry.metrics() }),
            health: () => {
              const { lakeHealthy, lastError, bufferedBytes, written } = pipeline.stats;
              const kafkaProblem = kafkaError ?? metrics.lagError;
              const healthy = lakeHealthy && !kafkaProblem;
              return {
                healthy,
                body: {
                  status: healthy ? 'ok' : 'degraded',
                  lake: lakeHealthy ? 'up' : 'unavailable',
                  kafka: kafkaProblem ? 'unreachable' : 'up',
                  ...(lakeHealthy || !lastError ? {} : { lakeError: lastError }),
                  ...(kafkaProblem ? { kafkaError: kafkaProblem } : {}),
                  bufferedBytes,
                  written,
                },
              };
            },
          },
          config.consumer.metricsPort,
          config.consumer.metricsHost,
        );
  if (metricsServer) logger.info({ metricsPort: metricsServer.port }, 'consumer metrics on /metrics and /healthz');

  return {
    pipeline,
    metrics,
    metricsServer,
    async stop() {
      clearInterval(timer);
      await metricsServer?.close();
      await pipeline.flushAll();
      await consumer.disconnect();
      await pipeline.close({ flush: false });
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}

/**
 * Scrapes read the lag from Kafka at most once a second, and never wait more
 * than a few seconds for it (an unreachable Kafka must not hang /metrics).
 */
function cachedLag(read: () => Promise<PartitionLag[]>, maxAgeMs = 1000, timeoutMs = 3000): () => Promise<PartitionLag[]> {
  let last: { at: number; value: Promise<PartitionLag[]> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > maxAgeMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Kafka did not answer the lag query within ${timeoutMs} ms`)), timeoutMs);
      });
      const value = Promise.race([read(), timeout]).finally(() => clearTimeout(timer));
      value.catch(() => undefined);
      last = { at: Date.now(), value };
    }
    return last.value;
  };
}

function stringHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return out;
}
