/**
 * Consumer throughput: records per second from Kafka to Parquet objects on the
 * S3 server (validation, event rules, Parquet encoding, upload, commit), next to
 * the rate at which a bare kafkajs consumer only reads the same topic (the
 * ceiling set by the Kafka client on this machine).
 *
 *   . scripts/servers/env.sh && npx tsx bench/consumer-throughput.ts [readings=100000]
 */
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaConsumer } from '../consumer/kafka-consumer.js';
import { createKafka, ensureTopics } from '../core/kafka.js';
import { openLake } from '../core/lake/index.js';
import { silentLogger } from '../core/log.js';
import { createBucket, testConfig, testEnvironment, uniqueName } from '../test/helpers/servers.js';
import { produceReadings, simulatedReadings } from '../test/helpers/streams.js';

const total = Number(process.argv[2] ?? 100_000);
const perCity = Math.ceil(total / 6);

const env = testEnvironment(await createBucket(uniqueName('bench')));
const config = testConfig(env, { 'kafka.partitions': 3 });
await ensureTopics(createKafka(config.kafka, silentLogger), config.kafka);
const readings = simulatedReadings(perCity, { stepMinutes: 10 }).slice(0, total);
const bytes = readings.reduce((n, r) => n + JSON.stringify(r).length, 0);
await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, readings);
console.log(`topic ${config.kafka.weatherTopic}: ${readings.length} readings, ${(bytes / 1e6).toFixed(1)} MB of JSON, 3 partitions, 6 cities, ${Math.round(perCity / 144)} simulated days`);

// Reference: a bare kafkajs consumer that only reads.
{
  const kafka = new Kafka({ clientId: 'bench-ref', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('bench-ref') });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.weatherTopic, fromBeginning: true });
  let seen = 0;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= readings.length) resolve();
      },
    });
  });
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  console.log(`reference, kafkajs read only:        ${Math.round(readings.length / seconds).toLocaleString('en')} records/s (${seconds.toFixed(1)} s)`);
}

// kots consumer: Kafka -> events -> Parquet -> S3 -> commit.
{
  const lake = openLake(config.lake);
  const handle = await startKafkaConsumer({ config, lake, logger: silentLogger });
  const started = performance.now();
  let peakRss = 0;
  while (handle.pipeline.stats.written < readings.length) {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const { files, events } = handle.pipeline.stats;
  await handle.stop();
  console.log(
    `kots consumer, Kafka -> Parquet on S3: ${Math.round(readings.length / seconds).toLocaleString('en')} records/s (${seconds.toFixed(1)} s), ` +
      `${files} objects, ${events} events, batch ${config.consumer.batchMaxRecords} records, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
}
console.log(`command: . scripts/servers/env.sh && npx tsx bench/consumer-throughput.ts ${total}`);
process.exit(0);
