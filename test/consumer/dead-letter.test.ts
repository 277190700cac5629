/**
 * A record that is not a valid reading reaches the dead-letter topic even when
 * the first sends there fail (issue 17, defect 1). Real Kafka refuses them: the
 * dead-letter topic's max.message.bytes is set below the record's size, then
 * raised again. Before the fix the refusal stopped the Kafka consumer for good
 * (kafkajs gives up on an error it deems permanent), and a retriable refusal
 * made the record skipped on redelivery; now the send is retried in place and
 * the record's offset only counts once the dead-letter topic has it.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { startKafkaConsumer, type ConsumerHandle } from '../../consumer/kafka-consumer.js';
import { HEADERS } from '../../core/bus.js';
import type { KotsConfig } from '../../core/config/index.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { waitFor } from '../helpers/processes.js';
import { createBucket, testConfig, testEnvironment, uniqueName } from '../helpers/servers.js';
import { produceReadings, simulatedReadings } from '../helpers/streams.js';

const handles: ConsumerHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
});

async function setMaxMessageBytes(config: KotsConfig, topic: string, bytes: number): Promise<void> {
  const admin = createKafka(config.kafka, silentLogger).admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: String(bytes) }] }],
    });
  } finally {
    await admin.disconnect();
  }
}

async function readTopic(config: KotsConfig, topic: string, expected: number): Promise<Array<{ value: string; reason: string | undefined }>> {
  const kafka = new Kafka({ clientId: 'test-dlq-reader', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('dlq-reader') });
  const seen: Array<{ value: string; reason: string | undefined }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ value: message.value?.toString() ?? '', reason: message.headers?.[HEADERS.reason]?.toString() });
      },
    });
    // Reading past the expected count for a moment shows there is nothing more (and nothing less).
    await waitFor(`${expected} records on ${topic}`, async () => seen.length >= expected, 20_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1500));
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

describe('consumer dead-letter sends on real Kafka', () => {
  it('sends an invalid record to the dead-letter topic after its first send failed, and only then commits past it', async () => {
    const env = testEnvironment(await createBucket());
    const config = testConfig(env, { 'kafka.partitions': 1, 'consumer.batchMaxRecords': 20, 'consumer.batchMaxAgeMs': 300 });
    await ensureTopics(createKafka(config.kafka, silentLogger), config.kafka);
    await setMaxMessageBytes(config, config.kafka.deadLetterTopic, 16);

    const readings = simulatedReadings(10, { stepMinutes: 60 });
    const before = readings.slice(0, 30);
    const after = readings.slice(30);
    const bad = { key: 'takamatsu', value: Buffer.from('{"v":1,"this is":"not a reading"}') };
    await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, [...before, bad, ...after]);

    const handle = await startKafkaConsumer({ config, lake: openLake(config.lake), logger: silentLogger });
    handles.push(handle);
    await waitFor('the readings before the invalid record in the lake', async () => handle.pipeline.stats.written >= before.length, 60_000);
    // The broker refuses the dead-letter record (too large for the topic) while this runs.
    await new Promise((r) => setTimeout(r, 3000));
    await setMaxMessageBytes(config, config.kafka.deadLetterTopic, 1024 * 1024);

    await waitFor('every valid reading in the lake', async () => handle.pipeline.stats.written >= readings.length, 90_000);
    const deadLetters = await readTopic(config, config.kafka.deadLetterTopic, 1);
    expect(deadLetters.map((d) => d.value)).toEqual([bad.value.toString()]);
    expect(deadLetters[0]!.reason).toBeTruthy();
    expect(handle.pipeline.stats.deadLettered).toBe(1);
  });
});
