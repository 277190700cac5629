/**
 * The bridge's Kafka side on librdkafka (@confluentinc/kafka-javascript's node-rdkafka-style
 * Producer, built by scripts/bridge/install-librdkafka-client.sh). Same contract as
 * KafkaReadingSink: `sendReadings` resolves only when Kafka has every record (acks=all); while
 * Kafka is down librdkafka keeps the records and retries (message.timeout.ms 0: no give-up), so
 * the devices' PUBACKs wait and nothing is dropped.
 *
 * Why this API and not the package's KafkaJS-compatible `send()`: that wraps every record in its
 * own promise; here a batch holds one counter and resolves once, from librdkafka's delivery
 * reports (polled on librdkafka's background thread, no JS timer). librdkafka batches across
 * calls (linger.ms), keeps up to 5 requests in flight per broker and, being idempotent, keeps
 * the order per partition. Its partitioner is murmur2 like Java's and kafkajs' default, so a city
 * lands on the same partition whichever client produces.
 */
import type { Logger } from 'pino';
import type { OutgoingRecord, ReadingSink } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { errorMessage } from '../core/errors.js';
import { librdkafkaClientDir, loadLibrdkafkaClient } from '../core/librdkafka-client.js';
import type { KafkaSinkStatus } from './kafka-sink.js';

/** The part of @confluentinc/kafka-javascript this module uses (the package ships no types here). */
interface RdkafkaError extends Error {
  code: number;
  isFatal?: boolean;
}
interface DeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  opaque: Entry;
}
interface RdkafkaProducer {
  connect(options: { timeout?: number }, cb: (error: RdkafkaError | null) => void): void;
  produce(topic: string, partition: null, value: Buffer, key: string, timestamp: null, opaque: Entry, headers: Array<Record<string, string>>): boolean;
  setPollInBackground(on: boolean): void;
  flush(timeoutMs: number, cb: (error: RdkafkaError | null) => void): void;
  disconnect(cb: (error: RdkafkaError | null) => void): void;
  getMetadata(options: { topic?: string; timeout?: number }, cb: (error: RdkafkaError | null) => void): void;
  on(event: 'delivery-report', listener: (error: RdkafkaError | null, report: DeliveryReport) => void): void;
  on(event: 'event.error', listener: (error: RdkafkaError) => void): void;
}
interface RdkafkaModule {
  Producer: new (config: Record<string, unknown>) => RdkafkaProducer;
  CODES: { ERRORS: Record<string, number> };
  librdkafkaVersion: string;
}

/** A call to send: resolves when all its records are acknowledged. */
interface Batch {
  remaining: number;
  resolve: () => void;
  reject: (error: Error) => void;
}
/** One record on its way; the opaque librdkafka hands back in its delivery report. */
interface Entry {
  topic: string;
  record: OutgoingRecord;
  headers: Array<Record<string, string>>;
  batch: Batch;
}

export interface LibrdkafkaSinkOptions {
  kafka: KotsConfig['kafka'];
  /** Appended to kafka.clientId. */
  clientSuffix?: string;
  weatherTopic: string;
  deadLetterTopic: string;
  logger: Logger;
  /** How long librdkafka waits to fill a produce request. */
  lingerMs?: number;
  /** Folder of the built client (default: the install script's cache folder). */
  clientDir?: string;
}

const RETRY_MS = { initial: 500, max: 5000 };

export class LibrdkafkaReadingSink implements ReadingSink {
  readonly status: KafkaSinkStatus = { healthy: true, inFlight: 0, sent: 0 };
  /** Records waiting for room in librdkafka's queue or for a retry after a delivery error. */
  private readonly held: Entry[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MS.initial;
  private healthProbe: NodeJS.Timeout | undefined;
  private errorsLogged = 0;
  private closing = false;
  private readonly queueFull: number;

  private constructor(
    private readonly producer: RdkafkaProducer,
    private readonly options: LibrdkafkaSinkOptions,
    codes: RdkafkaModule['CODES'],
  ) {
    this.queueFull = codes.ERRORS.ERR__QUEUE_FULL ?? -184;
    producer.on('delivery-report', (error, report) => this.delivered(error, report.opaque));
    producer.on('event.error', (error) => this.kafkaError(error));
  }

  /** librdkafka's version, once the client loads (for the startup log). */
  static librdkafkaVersion(clientDir = librdkafkaClientDir()): string {
    return loadLibrdkafkaClient<RdkafkaModule>(clientDir).librdkafkaVersion;
  }

  static async connect(options: LibrdkafkaSinkOptions): Promise<LibrdkafkaReadingSink> {
    const client = loadLibrdkafkaClient<RdkafkaModule>(options.clientDir);
    const producer = new client.Producer(producerConfig(options));
    await new Promise<void>((resolve, reject) => producer.connect({ timeout: 30_000 }, (error) => (error ? reject(error) : resolve())));
    producer.setPollInBackground(true);
    return new LibrdkafkaReadingSink(producer, options, client.CODES);
  }

  sendReadings(records: readonly OutgoingRecord[]): Promise<void> {
    return this.send(this.options.weatherTopic, records);
  }

  sendDeadLetters(records: readonly OutgoingRecord[]): Promise<void> {
    return this.send(this.options.deadLetterTopic, records);
  }

  private send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error('bridge is closing'));
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const batch: Batch = { remaining: records.length, resolve, reject };
      this.status.inFlight += records.length;
      for (const record of records) {
        const headers: Array<Record<string, string>> = [];
        for (const [name, value] of Object.entries(record.headers)) headers.push({ [name]: value });
        this.produce({ topic, record, headers, batch });
      }
    });
  }

  /** Hands one record to librdkafka, or holds it when librdkafka's queue is full (held ones go first, to keep the order). */
  private produce(entry: Entry): void {
    if (this.held.length > 0) {
      this.held.push(entry);
      return;
    }
    try {
      this.producer.produce(entry.topic, null, entry.record.value, entry.record.key, null, entry, entry.headers);
    } catch (error) {
      if ((error as RdkafkaError).code !== this.queueFull) {
        this.failed(entry, error as RdkafkaError);
        return;
      }
      this.held.push(entry);
      this.scheduleRetry(50);
    }
  }

  private delivered(error: RdkafkaError | null, entry: Entry): void {
    if (error) {
      this.failed(entry, error);
      return;
    }
    if (!this.status.healthy) {
      this.options.logger.info('Kafka is back: acknowledging again');
      this.status.healthy = true;
      this.errorsLogged = 0;
    }
    this.retryMs = RETRY_MS.initial;
    this.status.inFlight--;
    this.status.sent++;
    if (--entry.batch.remaining === 0) entry.batch.resolve();
  }

  /**
   * A record librdkafka gave up on (it retries transient errors itself; this is what it
   * cannot retry, e.g. the topic refused us): held and produced again with back-off, as the
   * kafkajs sink retries, until it is in Kafka or the bridge closes.
   */
  private failed(entry: Entry, error: RdkafkaError): void {
    this.kafkaError(error);
    if (this.closing) {
      this.status.inFlight--;
      entry.batch.reject(new Error(`bridge closing: ${errorMessage(error)}`));
      return;
    }
    this.held.push(entry);
    this.scheduleRetry(this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MS.max);
  }

  private scheduleRetry(ms: number): void {
    if (this.retryTimer || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const again = this.held.splice(0);
      for (const entry of again) this.produce(entry);
    }, ms);
  }

  /** librdkafka's error events (brokers down, authentication, ...): /healthz turns 503 until a record gets through again. */
  private kafkaError(error: RdkafkaError): void {
    this.status.healthy = false;
    this.status.lastError = error.isFatal ? `fatal: ${errorMessage(error)} (restart the bridge)` : errorMessage(error);
    if (this.errorsLogged++ % 20 === 0 || error.isFatal) {
      this.options.logger[error.isFatal ? 'error' : 'warn'](
        { err: this.status.lastError, waiting: this.status.inFlight },
        'Kafka unavailable: holding acknowledgements until it is back',
      );
    }
    this.probeWhileIdle();
  }

  /** With nothing in flight no delivery report says Kafka is back; a metadata request every few seconds does. */
  private probeWhileIdle(): void {
    if (this.healthProbe || this.closing) return;
    this.healthProbe = setInterval(() => {
      if (this.status.healthy) return this.stopProbe();
      if (this.status.inFlight > 0) return;
      this.producer.getMetadata({ topic: this.options.weatherTopic, timeout: 3000 }, (error) => {
        if (error || this.status.healthy || this.status.inFlight > 0) return;
        this.options.logger.info('Kafka is back');
        this.status.healthy = true;
        this.errorsLogged = 0;
        this.stopProbe();
      });
    }, 5000);
    this.healthProbe.unref();
  }

  private stopProbe(): void {
    clearInterval(this.healthProbe);
    this.healthProbe = undefined;
  }

  /** Delivers what librdkafka still holds (up to 10 s), then disconnects; what did not make it is rejected (its PUBACK never goes out). */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    this.stopProbe();
    for (const entry of this.held.splice(0)) {
      this.status.inFlight--;
      entry.batch.reject(new Error('bridge closing'));
    }
    await new Promise<void>((resolve) => this.producer.flush(10_000, () => resolve()));
    await new Promise<void>((resolve) => this.producer.disconnect(() => resolve()));
  }
}

/** librdkafka settings from kots' Kafka config. */
function producerConfig(options: LibrdkafkaSinkOptions): Record<string, unknown> {
  const { kafka } = options;
  const config: Record<string, unknown> = {
    'bootstrap.servers': kafka.brokers.join(','),
    'client.id': `${kafka.clientId}${options.clientSuffix ?? ''}`,
    'enable.idempotence': true,
    acks: 'all',
    'max.in.flight.requests.per.connection': 5,
    // Never give up on a record: while Kafka is down the PUBACK waits (kafkajs sink: retry forever).
    'message.timeout.ms': 0,
    'linger.ms': options.lingerMs ?? 2,
    // murmur2 of the key, as Java's and kafkajs' DefaultPartitioner (random only for records without a key).
    partitioner: 'murmur2_random',
    'socket.nagle.disable': true,
    // A broker closing an idle connection is not an outage.
    'log.connection.close': false,
    dr_cb: true,
  };
  const sasl = kafka.saslMechanism;
  config['security.protocol'] = `${sasl ? 'sasl_' : ''}${kafka.ssl ? 'ssl' : 'plaintext'}`;
  if (sasl) {
    config['sasl.mechanisms'] = sasl.toUpperCase();
    config['sasl.username'] = kafka.saslUsername ?? '';
    config['sasl.password'] = kafka.saslPassword ?? '';
  }
  return config;
}
