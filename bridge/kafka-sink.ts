/**
 * The bridge's Kafka side: readings from all devices gathered into small
 * batches (one produce request instead of one per device), idempotent,
 * acks=all. `sendReadings` resolves only when Kafka has the records; while
 * Kafka is down it keeps retrying, so the devices' PUBACKs simply wait.
 */
import type { Kafka, Message, Producer } from 'kafkajs';
import { Partitioners } from 'kafkajs';
import type { Logger } from 'pino';
import type { OutgoingRecord, ReadingSink } from '../core/bus.js';
import { errorMessage } from '../core/errors.js';
import { retryUntilDone } from '../core/retry.js';

interface Pending {
  record: OutgoingRecord;
  resolve: () => void;
  reject: (error: Error) => void;
}

export interface KafkaSinkOptions {
  kafka: Kafka;
  weatherTopic: string;
  deadLetterTopic: string;
  logger: Logger;
  /** How long records wait to be batched with others. */
  lingerMs?: number;
  maxBatchRecords?: number;
}

export interface KafkaSinkStatus {
  healthy: boolean;
  lastError?: string;
  inFlight: number;
  sent: number;
}

export class KafkaReadingSink implements ReadingSink {
  private readonly producer: Producer;
  private readonly queues = new Map<string, Pending[]>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  readonly status: KafkaSinkStatus = { healthy: true, inFlight: 0, sent: 0 };

  private constructor(private readonly options: KafkaSinkOptions) {
    this.producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    });
  }

  static async connect(options: KafkaSinkOptions): Promise<KafkaReadingSink> {
    const sink = new KafkaReadingSink(options);
    await sink.producer.connect();
    return sink;
  }

  sendReadings(records: readonly OutgoingRecord[]): Promise<void> {
    return this.enqueue(this.options.weatherTopic, records);
  }

  sendDeadLetters(records: readonly OutgoingRecord[]): Promise<void> {
    return this.enqueue(this.options.deadLetterTopic, records);
  }

  private enqueue(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.abort.signal.aborted) return Promise.reject(new Error('bridge is closing'));
    const promises = records.map(
      (record) =>
        new Promise<void>((resolve, reject) => {
          let queue = this.queues.get(topic);
          if (!queue) {
            queue = [];
            this.queues.set(topic, queue);
          }
          queue.push({ record, resolve, reject });
          this.status.inFlight++;
        }),
    );
    this.schedule();
    return Promise.all(promises).then(() => undefined);
  }

  private schedule(): void {
    if (this.timer || this.sending) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.options.lingerMs ?? 2);
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      for (;;) {
        const topicMessages: Array<{ topic: string; messages: Message[] }> = [];
        const batch: Pending[] = [];
        const limit = this.options.maxBatchRecords ?? 1000;
        for (const [topic, queue] of this.queues) {
          const taken = queue.splice(0, limit - batch.length);
          if (taken.length === 0) continue;
          batch.push(...taken);
          topicMessages.push({ topic, messages: taken.map(({ record }) => ({ key: record.key, value: record.value, headers: record.headers })) });
        }
        if (batch.length === 0) return;
        try {
          await retryUntilDone(() => this.producer.sendBatch({ topicMessages, acks: -1 }), {
            signal: this.abort.signal,
            isRetryable: () => true,
            initialMs: 500,
            maxMs: 5000,
            onError: (error, attempt) => {
              this.status.healthy = false;
              this.status.lastError = errorMessage(error);
              if (attempt === 0 || attempt % 10 === 0) {
                this.options.logger.warn(
                  { err: errorMessage(error), waiting: this.status.inFlight },
                  'Kafka unavailable: holding acknowledgements until it is back',
                );
              }
            },
          });
          if (!this.status.healthy) this.options.logger.info('Kafka is back: acknowledging again');
          this.status.healthy = true;
          this.status.sent += batch.length;
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error as Error);
        } finally {
          this.status.inFlight -= batch.length;
        }
      }
    } finally {
      this.sending = false;
      if ([...this.queues.values()].some((q) => q.length > 0)) this.schedule();
    }
  }

  async close(): Promise<void> {
    this.abort.abort(new Error('bridge closing'));
    for (const queue of this.queues.values()) for (const p of queue.splice(0)) p.reject(new Error('bridge closing'));
    await this.producer.disconnect();
  }
}
