/**
 * The two Kafka clients the bridge can produce with (kafka.producerClient): a city's readings
 * land on the same partition whichever client runs (murmur2 as Java and kafkajs), on real Kafka;
 * and the choice between them (auto, explicit, not built) gives what it says.
 * The librdkafka run needs scripts/bridge/install-librdkafka-client.sh (CI runs it): it fails, not skips, without it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CITIES } from '../../agent/cities.js';
import { chooseProducerClient, connectKafkaSink } from '../../bridge/kafka-producer.js';
import { KotsError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { slugify } from '../../core/topics.js';
import { testConfig } from '../helpers/servers.js';
import { kafkaEnv, readTopic } from './helpers.js';

const KEYS = [...new Set([...DEFAULT_CITIES.map((c) => slugify(c.name)), 'são-paulo', 'ōsaka', ...Array.from({ length: 40 }, (_, i) => `city-${i}`)])];

describe('producer clients', () => {
  it('puts each city key on the same partition with librdkafka as with kafkajs (6 partitions)', async () => {
    const config = testConfig({ ...kafkaEnv(), KOTS_KAFKA_PARTITIONS: '6' }, {});
    for (const producerClient of ['kafkajs', 'librdkafka'] as const) {
      const { sink, client } = await connectKafkaSink({ ...config, kafka: { ...config.kafka, producerClient } }, silentLogger, '-partition-test');
      expect(client).toBe(producerClient);
      try {
        await sink.sendReadings(
          KEYS.map((key) => ({ key, value: Buffer.from(JSON.stringify({ key, client })), headers: { 'kots-device': 'partition-test' } })),
        );
      } finally {
        await sink.close();
      }
    }
    const records = await readTopic(config.kafka.brokers, config.kafka.weatherTopic, KEYS.length * 2);
    const partitionOf = { kafkajs: new Map<string, number>(), librdkafka: new Map<string, number>() };
    for (const r of records) {
      const { key, client } = JSON.parse(r.value.toString()) as { key: string; client: 'kafkajs' | 'librdkafka' };
      expect(r.key).toBe(key);
      partitionOf[client].set(key, r.partition);
    }
    expect(partitionOf.kafkajs.size).toBe(KEYS.length);
    expect([...partitionOf.librdkafka.entries()].sort()).toEqual([...partitionOf.kafkajs.entries()].sort());
    // a partitioner that put everything on one partition would pass the line above
    expect(new Set(partitionOf.kafkajs.values()).size).toBe(6);
  }, 60_000);

  it('chooses librdkafka when built and kafka.producerClient is auto or librdkafka, kafkajs when asked or not built', () => {
    const kafka = (producerClient: 'auto' | 'kafkajs' | 'librdkafka') => ({ ...testConfig({}, {}).kafka, producerClient });
    expect(chooseProducerClient(kafka('auto'), true)).toBe('librdkafka');
    expect(chooseProducerClient(kafka('librdkafka'), true)).toBe('librdkafka');
    expect(chooseProducerClient(kafka('kafkajs'), true)).toBe('kafkajs');
    expect(chooseProducerClient(kafka('auto'), false)).toBe('kafkajs');
    expect(chooseProducerClient(kafka('kafkajs'), false)).toBe('kafkajs');
  });

  it('refuses an explicit librdkafka that is not built with one line naming the key and the install script', () => {
    const kafka = { ...testConfig({}, {}).kafka, producerClient: 'librdkafka' as const };
    let error: unknown;
    try {
      chooseProducerClient(kafka, false);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KotsError);
    expect((error as KotsError).code).toBe('CONFIG_INVALID');
    expect((error as Error).message).toMatch(/^kafka\.producerClient is librdkafka .*scripts\/bridge\/install-librdkafka-client\.sh/);
    expect((error as Error).message).not.toContain('\n');
  });
});
