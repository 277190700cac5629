/**
 * The Kafka clients kots could use, on the bridge's and the consumer's terms,
 * in one run against the test Kafka:
 *
 *   source scripts/servers/env.sh
 *   npx tsx bench/kafka-clients.ts [--records 50000] [--batch 500]
 *
 * Produce: `records` readings (~650 bytes, keyed by city, 3 partitions) sent as
 * the bridge's sink sends them (timed from the moment the producer is connected): batches of `batch`, idempotent, acks=all, the
 * next batch once the previous is acknowledged. Consume: the same records read
 * back from the beginning by a consumer group. Reported: records/s and the
 * CPU time of this process per 1,000 records (the machine is shared by other
 * work: the ratio between clients of one run is what counts).
 *
 * Clients: kafkajs 2.2.4, @platformatic/kafka 2.12, @confluentinc/kafka-javascript's KafkaJS API
 * (when scripts/bridge/install-librdkafka-client.sh has built it), and kots' two bridge sinks
 * (KafkaReadingSink on kafkajs, LibrdkafkaReadingSink on librdkafka's produce()), which only
 * produce. `--concurrency N` keeps N batches on their way at once (default 1).
 */
import { cpus } from 'node:os';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { connectKafkaSink } from '../bridge/kafka-producer.js';
import type { KotsConfig } from '../core/config/index.js';
import { kafkaSection } from '../core/config/kafka.js';
import { LIBRDKAFKA_CLIENT_VERSION, librdkafkaClientDir, loadLibrdkafkaClient } from '../core/librdkafka-client.js';
import { silentLogger } from '../core/log.js';
import { makeReading } from '../test/helpers/readings.js';
import { BENCH_CITIES as CITIES, benchArgs, KAFKA, kafkaAdmin, loadAverage } from './helpers.js';

const args = benchArgs();
const RECORDS = Number(args.get('records') ?? 50_000);
const BATCH = Number(args.get('batch') ?? 500);
const CONCURRENCY = Number(args.get('concurrency') ?? 1);

interface Outgoing {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

interface ClientUnderTest {
  name: string;
  produce(topic: string, batches: Outgoing[][]): Promise<void>;
  /** Absent for kots' sinks (they only produce). */
  consume?(topic: string, count: number): Promise<void>;
}

const kafkajs: ClientUnderTest = {
  name: 'kafkajs 2.2.4',
  async produce(topic, batches) {
    const producer = new Kafka({ clientId: 'bench-kafkajs', brokers: KAFKA, logLevel: logLevel.NOTHING }).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    startClock();
    await inFlight(batches, (batch) => producer.sendBatch({ topicMessages: [{ topic, messages: batch }], acks: -1 }));
    await producer.disconnect();
  },
  async consume(topic, count) {
    const consumer = new Kafka({ clientId: 'bench-kafkajs', brokers: KAFKA, logLevel: logLevel.NOTHING }).consumer({ groupId: `bench-kafkajs-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= count) done();
      },
    });
    await all;
    await consumer.disconnect();
  },
};

const platformatic: ClientUnderTest = {
  name: '@platformatic/kafka 2.12',
  async produce(topic, batches) {
    const { Producer } = await import('@platformatic/kafka');
    const producer = new Producer({ clientId: 'bench-platformatic', bootstrapBrokers: KAFKA, idempotent: true, acks: -1 });
    await inFlight(batches, (batch) =>
      producer.send({
        messages: batch.map((m) => ({
          topic,
          key: Buffer.from(m.key),
          value: m.value,
          headers: new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
        })),
      }),
    );
    await producer.close();
  },
  async consume(topic, count) {
    const { Consumer } = await import('@platformatic/kafka');
    const consumer = new Consumer({ clientId: 'bench-platformatic', bootstrapBrokers: KAFKA, groupId: `bench-platformatic-${Date.now()}` });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    let seen = 0;
    for await (const _message of stream) if (++seen >= count) break;
    await stream.close();
    await consumer.close(true);
  },
};

/** What the bench uses of @confluentinc/kafka-javascript's KafkaJS-compatible API (the package is built outside npm, so its types are not installed). */
interface ConfluentKafka {
  producer(config: unknown): {
    connect(): Promise<void>;
    send(record: { topic: string; messages: unknown[] }): Promise<unknown>;
    disconnect(): Promise<void>;
  };
  consumer(config: unknown): {
    connect(): Promise<void>;
    subscribe(subscription: { topic: string }): Promise<void>;
    run(options: { eachBatch: (payload: { batch: { messages: unknown[] } }) => Promise<void> }): Promise<void>;
    disconnect(): Promise<void>;
  };
}

/**
 * @confluentinc/kafka-javascript (librdkafka underneath) as scripts/bridge/install-librdkafka-client.sh
 * built it: its KafkaJS-compatible API (`send()`, a promise per record), and kots' own
 * LibrdkafkaReadingSink (node-rdkafka-style `produce()` + delivery reports, what the bridge runs).
 */
function confluent(): ClientUnderTest[] | string {
  let mod: { KafkaJS: { Kafka: new (config: unknown) => ConfluentKafka } };
  try {
    mod = loadLibrdkafkaClient<typeof mod>();
  } catch (error) {
    return `not loadable from ${librdkafkaClientDir()} (${(error as Error).message.split('\n')[0]}): run scripts/bridge/install-librdkafka-client.sh`;
  }
  const kafka = () => new mod.KafkaJS.Kafka({ kafkaJS: { brokers: KAFKA, logLevel: 0 } });
  const kafkaJsApi: ClientUnderTest = {
    name: `@confluentinc/kafka-javascript ${LIBRDKAFKA_CLIENT_VERSION}, KafkaJS API send()`,
    async produce(topic, batches) {
      const producer = kafka().producer({ kafkaJS: { idempotent: true, acks: -1, maxInFlightRequests: 5 }, 'linger.ms': 2, partitioner: 'murmur2_random' });
      await producer.connect();
      startClock();
      await inFlight(batches, (batch) => producer.send({ topic, messages: batch.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) }));
      await producer.disconnect();
    },
    async consume(topic, count) {
      const consumer = kafka().consumer({ kafkaJS: { groupId: `bench-confluent-${Date.now()}`, fromBeginning: true } });
      await consumer.connect();
      await consumer.subscribe({ topic });
      let seen = 0;
      let done!: () => void;
      const all = new Promise<void>((r) => (done = r));
      await consumer.run({
        eachBatch: async ({ batch }: { batch: { messages: unknown[] } }) => {
          seen += batch.messages.length;
          if (seen >= count) done();
        },
      });
      await all;
      await consumer.disconnect();
    },
  };
  return [kafkaJsApi, sinkClient('kots LibrdkafkaReadingSink (produce() + delivery reports)', 'librdkafka')];
}

/** kots' bridge sink on the given client, fed the batches as the bridge feeds it (producer only). */
function sinkClient(name: string, producerClient: 'kafkajs' | 'librdkafka'): ClientUnderTest {
  return {
    name,
    async produce(topic, batches) {
      const config = {
        ...kafkaSection.parse({ brokers: KAFKA }),
        producerClient,
        weatherTopic: topic,
        deadLetterTopic: `${topic}.dlq`,
        eventsTopic: `${topic}.events`,
      };
      const { sink } = await connectKafkaSink({ kafka: config } as KotsConfig, silentLogger, '-bench');
      startClock();
      await inFlight(batches, (batch) => sink.sendReadings(batch));
      await sink.close();
    },
  };
}

/** Sends the batches with CONCURRENCY of them on their way at a time (the bridge has many devices' readings waiting at once). */
async function inFlight<T>(batches: T[], send: (batch: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, batches.length) }, async () => {
      while (next < batches.length) await send(batches[next++]!);
    }),
  );
}

async function createTopic(name: string): Promise<void> {
  const admin = kafkaAdmin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: 3, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

function batches(): Outgoing[][] {
  const out: Outgoing[][] = [];
  for (let i = 0; i < RECORDS; i += BATCH) {
    out.push(
      Array.from({ length: Math.min(BATCH, RECORDS - i) }, (_, k) => {
        const city = CITIES[(i + k) % CITIES.length]!;
        const reading = makeReading({ device_id: `dev-${(i + k) % 100}`, city: { slug: city, name: city }, seq: i + k });
        return { key: city, value: Buffer.from(JSON.stringify(reading)), headers: { 'kots-device': reading.device_id, 'kots-schema-version': '1' } };
      }),
    );
  }
  return out;
}

let clock = { cpu: process.cpuUsage(), at: performance.now() };
/** A producer calls this once connected: connecting (and kots' topic check) is not counted. */
function startClock(): void {
  clock = { cpu: process.cpuUsage(), at: performance.now() };
}

async function timed(run: () => Promise<void>): Promise<{ perSecond: number; cpuMsPer1000: number }> {
  startClock();
  await run();
  const seconds = (performance.now() - clock.at) / 1000;
  const used = process.cpuUsage(clock.cpu);
  return { perSecond: RECORDS / seconds, cpuMsPer1000: (used.user + used.system) / 1000 / (RECORDS / 1000) };
}

const command = `npx tsx bench/kafka-clients.ts --records ${RECORDS} --batch ${BATCH} --concurrency ${CONCURRENCY}`;
process.stdout.write(`${command}\n(load average ${loadAverage()}; ${new Date().toISOString()})\n`);
const work = batches();
const clients: ClientUnderTest[] = [kafkajs, sinkClient('kots KafkaReadingSink (kafkajs)', 'kafkajs'), platformatic];
const maybeConfluent = confluent();
if (typeof maybeConfluent === 'string') process.stdout.write(`@confluentinc/kafka-javascript: ${maybeConfluent}\n`);
else clients.push(...maybeConfluent);
const rows: string[] = [];
for (const client of clients) {
  const topic = `bench-clients-${Date.now().toString(36)}`;
  await createTopic(topic);
  process.stdout.write(`  ${client.name}: producing ${RECORDS}...\n`);
  const produced = await timed(() => client.produce(topic, work));
  let consumed: { perSecond: number; cpuMsPer1000: number } | undefined;
  if (client.consume) {
    process.stdout.write(`  ${client.name}: consuming ${RECORDS}...\n`);
    consumed = await timed(() => client.consume!(topic, RECORDS));
  }
  rows.push(
    `| ${client.name} | ${produced.perSecond.toFixed(0)} | ${produced.cpuMsPer1000.toFixed(1)} | ${consumed?.perSecond.toFixed(0) ?? '–'} | ${consumed?.cpuMsPer1000.toFixed(1) ?? '–'} |`,
  );
}
process.stdout.write(`\n${command}\n(load average at the end ${loadAverage()} on ${cpus().length} cores; a shared machine: compare the rows of this run)\n`);
process.stdout.write(
  `| client | produce records/s (idempotent, acks=all, batches of ${BATCH}, ${CONCURRENCY} at a time) | CPU ms / 1,000 produced | consume records/s | CPU ms / 1,000 consumed |\n|---|---|---|---|---|\n${rows.join('\n')}\n`,
);
process.exit(0);
