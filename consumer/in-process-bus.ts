/**
 * `kots up` without Kafka: the bridge hands readings straight to the consumer
 * pipeline in the same process. The rule stays the same as with Kafka: a
 * reading's promise (and so the device's PUBACK) settles only after the batch
 * holding it is written to the lake. Offsets continue from the highest offset
 * already in the lake, so object names never collide across restarts.
 *
 * Group commit: devices wait for their acknowledgements, so waiting for a batch
 * to age (consumer.batchMaxAgeMs) would cap each device at its in-flight window
 * per batchMaxAgeMs. Instead the open batches are written as soon as readings
 * wait and no new one has arrived for consumer.groupCommitMs (the senders have
 * all sent what their windows allow), or the waiting readings fill a batch
 * (consumer.batchMaxRecords, the pipeline's own rule). Under a steady stream
 * that never pauses, the oldest waiting reading is written after at most
 * GROUP_COMMIT_MAX_WAITS windows.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { HEADERS, type BusRecord, type OutgoingRecord, type ReadingSink } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { parseRawObjectKey, RAW_WEATHER_PREFIX, type Lake } from '../core/lake/index.js';
import type { RuleSet } from './events/index.js';
import { activeRules } from './events/variant-store.js';
import { WeatherPipeline, type SurrealAlert } from './pipeline.js';

const TOPIC = 'weather';
/** A steady stream never pauses for groupCommitMs: write anyway once the oldest waiting reading is this many windows old. */
const GROUP_COMMIT_MAX_WAITS = 8;

interface Waiting {
  offset: bigint;
  resolve: () => void;
}

/** One partition of the in-process stream. */
interface Lane {
  nextOffset: bigint;
  /** Senders waiting for their record to be written, in offset order. */
  waiting: Waiting[];
  /** The partition's records enter the pipeline one after another, in offset order. */
  chain: Promise<void>;
}

export class InProcessBus implements ReadingSink {
  private readonly lanes: Lane[];
  private readonly timer: NodeJS.Timeout;
  readonly pipeline: WeatherPipeline;
  private deadLetterCount = 0;
  private readonly groupCommitMs: number;
  private groupCommitTimer: NodeJS.Timeout | undefined;
  private lastArrivalAt = 0;
  private oldestWaitingAt = 0;

  private constructor(
    private readonly lake: Lake,
    startOffsets: bigint[],
    config: KotsConfig,
    logger: Logger,
    rules: RuleSet,
    onAlert?: (alert: SurrealAlert) => void,
  ) {
    this.lanes = startOffsets.map((nextOffset) => ({ nextOffset, waiting: [], chain: Promise.resolve() }));
    this.pipeline = new WeatherPipeline({
      lake,
      topic: TOPIC,
      group: 'in-process',
      batchMaxRecords: config.consumer.batchMaxRecords,
      batchMaxAgeMs: config.consumer.batchMaxAgeMs,
      maxBufferedBytes: config.consumer.maxBufferedBytes,
      logger,
      rules,
      hooks: {
        commit: async (partition, next) => this.release(partition, next),
        publishAlerts: async (alerts) => {
          for (const alert of alerts) onAlert?.(alert);
        },
      },
    });
    this.groupCommitMs = config.consumer.groupCommitMs;
    this.timer = setInterval(() => this.pipeline.flushAged(), 250);
  }

  /** Labels with `rules`, by default the active ones (a game master's variant, else the original). */
  static async open(options: {
    lake: Lake;
    config: KotsConfig;
    logger: Logger;
    onAlert?: (alert: SurrealAlert) => void;
    rules?: RuleSet;
  }): Promise<InProcessBus> {
    const partitions = options.config.kafka.partitions;
    const start = Array.from({ length: partitions }, () => 0n);
    for (const key of await options.lake.list(RAW_WEATHER_PREFIX)) {
      const name = parseRawObjectKey(key);
      const known = name?.topic === TOPIC ? start[name.partition] : undefined;
      if (name && known !== undefined && BigInt(name.lastOffset) >= known) start[name.partition] = BigInt(name.lastOffset) + 1n;
    }
    const rules = options.rules ?? (await activeRules(options.config, options.lake)).rules;
    return new InProcessBus(options.lake, start, options.config, options.logger, rules, options.onAlert);
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
    const partition = createHash('md5').update(record.key).digest().readUInt32BE(0) % this.lanes.length;
    const lane = this.lane(partition);
    const offset = lane.nextOffset;
    lane.nextOffset = offset + 1n;
    const busRecord: BusRecord = { topic: TOPIC, partition, offset, timestamp: new Date(), key: record.key, value: record.value, headers: record.headers };
    const durable = new Promise<void>((resolve) => lane.waiting.push({ offset, resolve }));
    lane.chain = lane.chain.then(() => this.pipeline.accept(partition, [busRecord]));
    this.armGroupCommit();
    return durable;
  }

  private armGroupCommit(): void {
    const now = Date.now();
    this.lastArrivalAt = now;
    if (this.groupCommitTimer) return;
    this.oldestWaitingAt = now;
    this.groupCommitTimer = setTimeout(() => this.groupCommit(), this.groupCommitMs);
  }

  /** Writes the open batches once arrivals paused (or waited long enough); re-arms otherwise. */
  private groupCommit(): void {
    const now = Date.now();
    const quietFor = now - this.lastArrivalAt;
    const maxWait = this.groupCommitMs * GROUP_COMMIT_MAX_WAITS;
    if (quietFor < this.groupCommitMs && now - this.oldestWaitingAt < maxWait) {
      this.groupCommitTimer = setTimeout(() => this.groupCommit(), this.groupCommitMs - quietFor);
      return;
    }
    this.groupCommitTimer = undefined;
    // Records still on their way into the pipeline belong to this commit too.
    void Promise.all(this.lanes.map((lane) => lane.chain)).then(
      () => this.pipeline.flushAged(0),
      () => undefined,
    );
  }

  private release(partition: number, next: bigint): void {
    const { waiting } = this.lane(partition);
    for (let first = waiting[0]; first && first.offset < next; first = waiting[0]) {
      waiting.shift();
      first.resolve();
    }
  }

  private lane(partition: number): Lane {
    const lane = this.lanes[partition];
    if (!lane) throw new Error(`in-process bus: no partition ${partition} (there are ${this.lanes.length})`);
    return lane;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.groupCommitTimer);
    await Promise.all(this.lanes.map((lane) => lane.chain));
    await this.pipeline.close({ flush: true });
  }
}
