/**
 * `kots up` without Kafka: the bridge hands readings straight to the consumer
 * pipeline in the same process. The rule stays the same as with Kafka: a
 * reading's promise (and so the device's PUBACK) settles only after the batch
 * holding it is written to the lake. Offsets continue from the highest offset
 * already in the lake, so object names never collide across restarts.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { HEADERS, type BusRecord, type OutgoingRecord, type ReadingSink } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { parseRawObjectKey, RAW_WEATHER_PREFIX, type Lake } from '../core/lake/index.js';
import { WeatherPipeline, type SurrealAlert } from './pipeline.js';

const TOPIC = 'weather';

interface Waiting {
  offset: bigint;
  resolve: () => void;
}

export class InProcessBus implements ReadingSink {
  private readonly nextOffset: bigint[];
  private readonly waiting: Waiting[][];
  private readonly chains: Promise<void>[];
  private readonly timer: NodeJS.Timeout;
  readonly pipeline: WeatherPipeline;
  private deadLetterCount = 0;

  private constructor(
    private readonly lake: Lake,
    private readonly partitions: number,
    startOffsets: bigint[],
    config: KotsConfig,
    logger: Logger,
    onAlert?: (alert: SurrealAlert) => void,
  ) {
    this.nextOffset = startOffsets;
    this.waiting = startOffsets.map(() => []);
    this.chains = startOffsets.map(() => Promise.resolve());
    this.pipeline = new WeatherPipeline({
      lake,
      topic: TOPIC,
      group: 'in-process',
      batchMaxRecords: config.consumer.batchMaxRecords,
      batchMaxAgeMs: config.consumer.batchMaxAgeMs,
      maxBufferedBytes: config.consumer.maxBufferedBytes,
      logger,
      hooks: {
        commit: async (partition, next) => this.release(partition, next),
        publishAlerts: async (alerts) => alerts.forEach((a) => onAlert?.(a)),
      },
    });
    this.timer = setInterval(() => this.pipeline.flushAged(), 250);
  }

  static async open(options: { lake: Lake; config: KotsConfig; logger: Logger; onAlert?: (alert: SurrealAlert) => void }): Promise<InProcessBus> {
    const partitions = options.config.kafka.partitions;
    const start = Array.from({ length: partitions }, () => 0n);
    for (const key of await options.lake.list(RAW_WEATHER_PREFIX)) {
      const name = parseRawObjectKey(key);
      if (name && name.topic === TOPIC && name.partition < partitions && BigInt(name.lastOffset) >= start[name.partition]!) {
        start[name.partition] = BigInt(name.lastOffset) + 1n;
      }
    }
    return new InProcessBus(options.lake, partitions, start, options.config, options.logger, options.onAlert);
  }

  sendReadings(records: readonly OutgoingRecord[]): Promise<void> {
    return Promise.all(records.map((r) => this.append(r))).then(() => undefined);
  }

  /** Refused payloads are kept in the lake under dead-letter/, one JSON document each. */
  async sendDeadLetters(records: readonly OutgoingRecord[]): Promise<void> {
    for (const record of records) {
      const at = new Date();
      const key = `dead-letter/date=${at.toISOString().slice(0, 10)}/${at.getTime()}-${process.pid}-${this.deadLetterCount++}.json`;
      const body = { reason: record.headers[HEADERS.reason], headers: record.headers, payload_base64: record.value.toString('base64') };
      await this.lake.put(key, Buffer.from(JSON.stringify(body)));
    }
  }

  private append(record: OutgoingRecord): Promise<void> {
    const partition = createHash('md5').update(record.key).digest().readUInt32BE(0) % this.partitions;
    const offset = this.nextOffset[partition]!;
    this.nextOffset[partition] = offset + 1n;
    const busRecord: BusRecord = { topic: TOPIC, partition, offset, timestamp: new Date(), key: record.key, value: record.value, headers: record.headers };
    const durable = new Promise<void>((resolve) => this.waiting[partition]!.push({ offset, resolve }));
    // One partition's records enter the pipeline in offset order.
    this.chains[partition] = this.chains[partition]!.then(() => this.pipeline.accept(partition, [busRecord]));
    return durable;
  }

  private release(partition: number, next: bigint): void {
    const queue = this.waiting[partition]!;
    while (queue.length > 0 && queue[0]!.offset < next) queue.shift()!.resolve();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.chains);
    await this.pipeline.close({ flush: true });
  }
}
