/**
 * Consumer metrics (prom-client), served on /metrics by `kots consumer` when
 * `consumer.metricsPort` is set. Lag comes first for an operator: how many
 * records of each partition the group has not committed yet. Each consumer
 * has its own registry, so two in one process (tests, `kots up`) do not mix.
 */
import type { Admin } from 'kafkajs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** What the pipeline reports as it works; every call is O(1). */
export interface PipelineMetrics {
  received(records: number): void;
  written(batch: { records: number; files: number; events: number; seconds: number }): void;
  deadLettered(): void;
  lakeError(): void;
}

export interface PartitionLag {
  partition: number;
  /** Offset of the next record Kafka will append (the high watermark). */
  highWatermark: bigint;
  /** The group's committed offset (the next record it will read), or the log start when it has committed nothing. */
  committed: bigint;
  lag: bigint;
}

/** Reads the group's lag on every partition of the topic from Kafka (the same figures as kafka-consumer-groups.sh). */
export async function readGroupLag(admin: Admin, topic: string, groupId: string): Promise<PartitionLag[]> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const committedBy = new Map((committed?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  return ends
    .map(({ partition, high, low }) => {
      const highWatermark = BigInt(high);
      const done = committedBy.get(partition) ?? -1n;
      const position = done >= 0n ? done : BigInt(low);
      return { partition, highWatermark, committed: position, lag: highWatermark > position ? highWatermark - position : 0n };
    })
    .sort((a, b) => a.partition - b.partition);
}

export interface ConsumerMetricsSources {
  /** Bytes of records taken from Kafka and not yet written. */
  bufferedBytes(): number;
  /** The lag per partition, read when /metrics is scraped. */
  lag?(): Promise<PartitionLag[]>;
}

export class ConsumerMetrics implements PipelineMetrics {
  readonly registry = new Registry();
  private readonly receivedTotal: Counter;
  private readonly writtenTotal: Counter;
  private readonly filesTotal: Counter;
  private readonly eventsTotal: Counter;
  private readonly deadLetteredTotal: Counter;
  private readonly lakeErrorsTotal: Counter;
  private readonly batchWriteSeconds: Histogram;
  private lastLagError: string | undefined;

  constructor(sources: ConsumerMetricsSources) {
    const registers = [this.registry];
    const self = this;
    // Process figures (resident memory, heap, event-loop lag) next to the pipeline's.
    collectDefaultMetrics({ register: this.registry });
    this.receivedTotal = new Counter({ name: 'kots_consumer_records_received_total', help: 'Records taken from the weather topic (valid or not).', registers });
    this.writtenTotal = new Counter({
      name: 'kots_consumer_records_written_total',
      help: "Readings written to the lake and committed; its rate is the consumer's records/s.",
      registers,
    });
    this.filesTotal = new Counter({ name: 'kots_consumer_lake_objects_written_total', help: 'Parquet objects written to the lake.', registers });
    this.eventsTotal = new Counter({
      name: 'kots_consumer_events_total',
      help: 'Surreal events detected in written readings (each also published to surreal-events).',
      registers,
    });
    this.deadLetteredTotal = new Counter({
      name: 'kots_consumer_dead_lettered_total',
      help: 'Records sent to the dead-letter topic because they are not valid readings.',
      registers,
    });
    this.lakeErrorsTotal = new Counter({ name: 'kots_consumer_lake_errors_total', help: 'Failed lake writes (each is retried until it succeeds).', registers });
    this.batchWriteSeconds = new Histogram({
      name: 'kots_consumer_batch_write_seconds',
      help: 'Time to write a batch: encoding its Parquet objects, uploading them (retries included), publishing its alerts and committing.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    new Gauge({
      name: 'kots_consumer_buffered_bytes',
      help: 'Bytes of records read and not yet written (fetching pauses above consumer.maxBufferedBytes).',
      registers,
      collect() {
        this.set(sources.bufferedBytes());
      },
    });
    const readLag = sources.lag;
    if (readLag) {
      new Gauge({
        name: 'kots_consumer_lag_records',
        help: 'Records of each partition the consumer group has not committed yet: high watermark minus committed offset.',
        labelNames: ['partition'],
        registers,
        async collect() {
          try {
            const lags = await readLag();
            this.reset();
            for (const { partition, lag } of lags) this.set({ partition: String(partition) }, Number(lag));
            self.lastLagError = undefined;
          } catch (error) {
            // Keep the last figures; /healthz and the log say Kafka did not answer.
            self.lastLagError = error instanceof Error ? error.message : String(error);
          }
        },
      });
    }
  }

  get lagError(): string | undefined {
    return this.lastLagError;
  }

  received(records: number): void {
    this.receivedTotal.inc(records);
  }

  written(batch: { records: number; files: number; events: number; seconds: number }): void {
    this.writtenTotal.inc(batch.records);
    this.filesTotal.inc(batch.files);
    this.eventsTotal.inc(batch.events);
    this.batchWriteSeconds.observe(batch.seconds);
  }

  deadLettered(): void {
    this.deadLetteredTotal.inc();
  }

  lakeError(): void {
    this.lakeErrorsTotal.inc();
  }
}
