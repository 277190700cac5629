/**
 * The consumer's core, independent of where records come from (Kafka or the
 * in-process bus): validate, label surreal events in partition order, batch
 * per partition, write Parquet to the lake, and only then commit.
 */
import type { Logger } from 'pino';
import type { BusRecord } from '../core/bus.js';
import { errorMessage } from '../core/errors.js';
import { NO_EVENT, type Lake } from '../core/lake/index.js';
import { ParquetEncoder } from '../core/lake/parquet.js';
import { parseReading, type Reading } from '../core/reading.js';
import { retryUntilDone } from '../core/retry.js';
import { detectEvent, ORIGINAL_RULES, type DetectedEvent, type RuleSet } from './events/index.js';
import { encodeBatch, LakeBatch, putObjects } from './lake-writer.js';
import type { PipelineMetrics } from './metrics.js';

export interface SurrealAlert {
  readingId: string;
  city: string;
  cityName: string;
  deviceId: string;
  observedAt: string;
  localTime: string;
  eventId: number;
  eventName: string;
  newsflash: string;
}

export interface PipelineHooks {
  /** Makes `nextOffset` the partition's committed position. */
  commit(partition: number, nextOffset: bigint): Promise<void>;
  /** A record on the weather topic that is not a valid reading. */
  deadLetter?(record: BusRecord, reason: string): Promise<void>;
  /** Detected events of a written batch, before its offsets are committed. */
  publishAlerts?(alerts: readonly SurrealAlert[]): Promise<void>;
  /** Called between retries so a group membership stays alive during a long S3 outage. */
  heartbeat?(): Promise<void>;
}

export interface PipelineOptions {
  lake: Lake;
  topic: string;
  group: string;
  batchMaxRecords: number;
  batchMaxAgeMs: number;
  maxBufferedBytes: number;
  logger: Logger;
  hooks: PipelineHooks;
  /** The ten rules to label with: the original unless a game master drew a variant (events/variant.ts). */
  rules?: RuleSet;
  metrics?: PipelineMetrics;
}

interface PartitionBatch {
  rows: LakeBatch;
  alerts: SurrealAlert[];
  bytes: number;
  openedAt: number;
  lastOffset: bigint;
}

interface PartitionState {
  batch: PartitionBatch | undefined;
  /** Flushes of one partition run one after another, so commits stay in offset order. */
  flushing: Promise<void>;
  generation: number;
}

export interface PipelineStats {
  received: number;
  written: number;
  deadLettered: number;
  events: number;
  files: number;
  bufferedRecords: number;
  bufferedBytes: number;
  perCity: Record<string, number>;
  lakeErrors: number;
  /** False from a failed lake write until the next one succeeds. */
  lakeHealthy: boolean;
  lastError?: string;
}

export class WeatherPipeline {
  private readonly partitions = new Map<number, PartitionState>();
  private readonly encoder = new ParquetEncoder();
  private readonly abort = new AbortController();
  private generation = 0;
  private bufferedBytes = 0;
  private bufferWaiters: Array<() => void> = [];
  readonly stats: PipelineStats = {
    received: 0,
    written: 0,
    deadLettered: 0,
    events: 0,
    files: 0,
    bufferedRecords: 0,
    bufferedBytes: 0,
    perCity: {},
    lakeErrors: 0,
    lakeHealthy: true,
  };

  private readonly rules: RuleSet;

  constructor(private readonly options: PipelineOptions) {
    this.rules = options.rules ?? ORIGINAL_RULES;
  }

  /** Takes records of one partition, in offset order. Waits (back-pressure) while too much is buffered. */
  async accept(partition: number, records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    const state = this.partitionState(partition);
    const receivedBefore = this.stats.received;
    for (const record of records) {
      if (state.batch && record.offset <= state.batch.lastOffset) continue; // re-delivered inside a live batch
      this.stats.received++;
      const verdict = parseReading(record.value);
      if (!verdict.ok) {
        this.options.logger.warn(
          { partition, offset: String(record.offset), reason: verdict.reason },
          'record on the weather topic is not a valid reading; sending it to the dead-letter topic',
        );
        // The record counts as taken only once the dead-letter topic has it: if the send gives up
        // (the partition moved, the consumer closes), the record is delivered again and must not be skipped then.
        await this.deadLetter(partition, state, record, verdict.reason);
        state.batch ??= emptyBatch();
        state.batch.lastOffset = record.offset;
        this.stats.deadLettered++;
        this.options.metrics?.deadLettered();
        continue;
      }
      state.batch ??= emptyBatch();
      const batch = state.batch;
      batch.lastOffset = record.offset;
      const detected = detectEvent(verdict.reading, this.rules);
      // The batch keeps the reading as the text it arrived in (DuckDB takes the columns out of it).
      const text = verdict.text ?? record.value.toString('utf8');
      batch.rows.add({ text, reading: verdict.reading, position: record, event: detected ?? NO_EVENT });
      batch.bytes += record.value.length;
      this.bufferedBytes += record.value.length;
      if (detected) batch.alerts.push(toAlert(verdict.reading, detected));
      if (batch.rows.length >= this.options.batchMaxRecords) this.startFlush(partition, state);
    }
    this.updateBufferStats();
    this.options.metrics?.received(this.stats.received - receivedBefore);
    if (this.bufferedBytes > this.options.maxBufferedBytes) {
      this.flushAged(0);
      this.options.logger.debug({ partition, bufferedBytes: this.bufferedBytes }, 'buffers full: waiting for batches to be written before taking more');
    }
    while (this.bufferedBytes > this.options.maxBufferedBytes && !this.abort.signal.aborted) {
      // Wake when any batch is written (or after a while to keep the group membership alive);
      // never on an already-settled promise, which would spin without letting the writes run.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        this.bufferWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      // Not awaited: a heartbeat may wait on the group coordinator, and this loop must keep checking the buffers.
      void this.options.hooks.heartbeat?.().catch(() => undefined);
      if (this.bufferedBytes > this.options.maxBufferedBytes) this.flushAged(0);
    }
  }

  /**
   * Sends a record to the dead-letter topic, retried with back-off until it is there (like a
   * lake write: a refused send stalls the partition, it never skips the record), unless the
   * partition moves or the consumer closes meanwhile.
   */
  private async deadLetter(partition: number, state: PartitionState, record: BusRecord, reason: string): Promise<void> {
    const send = this.options.hooks.deadLetter;
    if (!send) return;
    await retryUntilDone(() => send(record, reason), {
      signal: this.abort.signal,
      isRetryable: () => true,
      onError: (error) => {
        if (state.generation !== this.generation) return false;
        this.stats.lastError = errorMessage(error);
        this.options.logger.error({ partition, offset: String(record.offset), err: errorMessage(error) }, 'dead-letter send failed; retrying');
        void this.options.hooks.heartbeat?.().catch(() => undefined);
      },
    });
  }

  private notifyBufferFreed(): void {
    for (const wake of this.bufferWaiters.splice(0)) wake();
  }

  /** Starts writing batches older than the age limit. Called by a timer. */
  flushAged(maxAgeMs = this.options.batchMaxAgeMs): void {
    const now = Date.now();
    for (const [partition, state] of this.partitions) {
      if (state.batch && now - state.batch.openedAt >= maxAgeMs) this.startFlush(partition, state);
    }
  }

  /** Writes every open batch and waits for all writes and commits. */
  async flushAll(): Promise<void> {
    this.flushAged(0);
    await Promise.all([...this.partitions.values()].map((s) => s.flushing));
  }

  /**
   * Forgets every partition (a rebalance): unwritten batches are dropped, not
   * committed, so the next owner reads them again from the committed offset.
   */
  async dropAllPartitions(): Promise<void> {
    this.generation++;
    const flushing = [...this.partitions.values()].map((s) => s.flushing);
    this.partitions.clear();
    this.bufferedBytes = 0;
    this.updateBufferStats();
    this.notifyBufferFreed();
    await Promise.allSettled(flushing);
  }

  async close(options: { flush: boolean }): Promise<void> {
    if (options.flush) await this.flushAll();
    this.abort.abort(new Error('consumer closing'));
    await this.dropAllPartitions();
    this.encoder.close();
  }

  private partitionState(partition: number): PartitionState {
    const existing = this.partitions.get(partition);
    if (existing) return existing;
    const state: PartitionState = { batch: undefined, flushing: Promise.resolve(), generation: this.generation };
    this.partitions.set(partition, state);
    return state;
  }

  private startFlush(partition: number, state: PartitionState): void {
    const batch = state.batch;
    if (!batch) return;
    state.batch = undefined;
    const nextOffset = batch.lastOffset + 1n;
    const stale = () => state.generation !== this.generation || this.abort.signal.aborted;
    const started = performance.now();
    // The batch is encoded and uploaded at once, beside the partition's earlier batches still in
    // flight (the encoder bounds how many encode together); alerts and commits stay in offset order.
    const { lake, topic } = this.options;
    // Encoded once; only the upload is retried while the lake is away.
    const written = batch.rows.length
      ? this.retryLake(stale, 'encoding a batch', () => encodeBatch(this.encoder, topic, partition, batch.rows)).then((objects) =>
          this.retryLake(stale, 'writing a batch', () => putObjects(lake, objects)),
        )
      : Promise.resolve([]);
    written.catch(() => undefined); // handled where the chain awaits it
    state.flushing = state.flushing.then(() => this.commitWritten(partition, state, batch, nextOffset, written, { stale, started }));
  }

  /** Retries a lake action until it succeeds, unless the partition moved or the consumer closes. */
  private retryLake<T>(stale: () => boolean, what: string, action: () => Promise<T>): Promise<T> {
    return retryUntilDone(action, {
      signal: this.abort.signal,
      // A batch that is never written must never be skipped by a later commit, so even
      // "permanent" errors (a wrong bucket policy) are retried until an operator fixes them.
      isRetryable: () => true,
      onError: (error) => {
        if (stale()) return false;
        this.lakeError(error, what);
        void this.options.hooks.heartbeat?.().catch(() => undefined);
      },
    });
  }

  private async commitWritten(
    partition: number,
    state: PartitionState,
    batch: PartitionBatch,
    nextOffset: bigint,
    written: Promise<string[]>,
    { stale, started }: { stale: () => boolean; started: number },
  ): Promise<void> {
    const { hooks, logger } = this.options;
    try {
      const keys = await written;
      this.stats.lakeHealthy = true;
      if (stale()) return;
      if (batch.alerts.length) await this.retryLake(stale, 'publishing alerts', () => hooks.publishAlerts?.(batch.alerts) ?? Promise.resolve());
      if (stale()) return;
      await hooks.commit(partition, nextOffset);
      this.options.metrics?.written({
        records: batch.rows.length,
        files: keys.length,
        events: batch.alerts.length,
        seconds: (performance.now() - started) / 1000,
      });
      this.stats.written += batch.rows.length;
      this.stats.files += keys.length;
      this.stats.events += batch.alerts.length;
      for (const [city, rows] of batch.rows.rowsPerCity()) this.stats.perCity[city] = (this.stats.perCity[city] ?? 0) + rows;
      logger.debug({ partition, records: batch.rows.length, nextOffset: String(nextOffset), keys }, 'batch written and committed');
    } catch (error) {
      if (!stale()) {
        this.stats.lastError = errorMessage(error);
        logger.error({ partition, err: errorMessage(error) }, 'batch not committed; it will be read again');
      }
    } finally {
      if (state.generation === this.generation) this.bufferedBytes -= batch.bytes;
      this.updateBufferStats();
      this.notifyBufferFreed();
    }
  }

  private lakeError(error: unknown, what: string): void {
    this.stats.lakeErrors++;
    this.stats.lakeHealthy = false;
    this.options.metrics?.lakeError();
    this.stats.lastError = errorMessage(error);
    this.options.logger.warn({ err: errorMessage(error) }, `lake unavailable while ${what}; retrying`);
  }

  private updateBufferStats(): void {
    let records = 0;
    for (const state of this.partitions.values()) records += state.batch?.rows.length ?? 0;
    this.stats.bufferedRecords = records;
    this.stats.bufferedBytes = Math.max(0, this.bufferedBytes);
  }
}

function emptyBatch(): PartitionBatch {
  return { rows: new LakeBatch(), alerts: [], bytes: 0, openedAt: Date.now(), lastOffset: -1n };
}

function toAlert(reading: Reading, event: DetectedEvent): SurrealAlert {
  return {
    readingId: reading.id,
    city: reading.city.slug,
    cityName: reading.city.name,
    deviceId: reading.device_id,
    observedAt: reading.observed_at,
    localTime: new Date(Date.parse(reading.observed_at) + reading.weather.timezone * 1000).toISOString().slice(0, 19),
    eventId: event.id,
    eventName: event.name,
    newsflash: event.newsflash,
  };
}
