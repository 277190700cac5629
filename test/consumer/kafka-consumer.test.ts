/**
 * The consumer on real Kafka and the real S3 server: event labels depend only
 * on the stream (replays, crashes, rebalances and restarts give the same
 * answers), and every reading reaches the lake.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startKafkaConsumer, type ConsumerHandle } from '../../consumer/kafka-consumer.js';
import type { KotsConfig } from '../../core/config/index.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { spawnKots, waitFor, type KotsProcess } from '../helpers/processes.js';
import { createBucket, testConfig, testEnvironment, uniqueName } from '../helpers/servers.js';
import { produceReadings, simulatedReadings } from '../helpers/streams.js';

const handles: ConsumerHandle[] = [];
const children: KotsProcess[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.stop()));
  await Promise.all(children.splice(0).map((c) => c.kill('SIGKILL')));
});

const FAST = { 'consumer.batchMaxRecords': 50, 'consumer.batchMaxAgeMs': 300, 'consumer.sessionTimeoutMs': 8000 };

async function freshTopic(): Promise<{ env: Record<string, string>; config: KotsConfig }> {
  const env = testEnvironment(await createBucket());
  const config = testConfig(env, FAST);
  await ensureTopics(createKafka(config.kafka, silentLogger), config.kafka);
  return { env, config };
}

/** The same topic read by another group into another (empty) bucket. */
async function replayInto(config: KotsConfig): Promise<KotsConfig> {
  const bucket = await createBucket();
  return { ...config, lake: { ...config.lake, bucket }, consumer: { ...config.consumer, groupId: uniqueName('replay') } };
}

async function labels(config: KotsConfig): Promise<Map<string, number>> {
  const db = await openLakeDatabase(config);
  try {
    const rows = (await db.connection.runAndReadAll('SELECT id, event_id FROM readings')).getRows();
    return new Map(rows.map(([id, event]) => [String(id), Number(event)]));
  } finally {
    db.close();
  }
}

async function runUntil(config: KotsConfig, count: number): Promise<Map<string, number>> {
  const handle = await startKafkaConsumer({ config, lake: openLake(config.lake), logger: silentLogger });
  handles.push(handle);
  await waitFor(`${count} readings in ${config.lake.bucket}`, async () => handle.pipeline.stats.written >= count, 90_000);
  await handle.stop();
  handles.splice(handles.indexOf(handle), 1);
  return labels(config);
}

describe('consumer on real Kafka and S3', () => {
  it('labels events identically when the same readings are replayed from offset 0 into an empty bucket', async () => {
    const { config } = await freshTopic();
    const readings = simulatedReadings(120, { stepMinutes: 90 });
    await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, readings);
    const first = await runUntil(config, readings.length);
    const replay = await runUntil(await replayInto(config), readings.length);
    expect(first.size).toBe(readings.length);
    expect(replay).toEqual(first);
    const fired = [...first.values()].filter((e) => e > 0);
    expect(new Set(fired).size, 'the stream should fire several kinds of events').toBeGreaterThanOrEqual(4);
  });

  it('keeps every reading and the same labels through a SIGKILL and a second consumer joining mid-stream', async () => {
    const { env, config } = await freshTopic();
    const readings = simulatedReadings(150, { stepMinutes: 45 });
    const childEnv = { ...env, KOTS_CONSUMER_BATCH_MAX_RECORDS: '40', KOTS_CONSUMER_BATCH_MAX_AGE_MS: '300', KOTS_CONSUMER_SESSION_TIMEOUT_MS: '8000' };
    const first = spawnKots(['consumer'], childEnv);
    children.push(first);
    // Produce while the consumers run, in slices, so the crash and the join land mid-stream.
    const producing = (async () => {
      for (let i = 0; i < readings.length; i += 100) {
        await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, readings.slice(i, i + 100));
        await new Promise((r) => setTimeout(r, 700));
      }
    })();
    const lake = openLake(config.lake);
    await waitFor('first files', async () => (await lake.list('raw/weather/')).length >= 5);
    const second = spawnKots(['consumer'], childEnv);
    children.push(second);
    await new Promise((r) => setTimeout(r, 4000));
    await first.kill('SIGKILL');
    await producing;
    const chaos = await waitFor(
      'every reading in the lake',
      async () => {
        const l = await labels(config);
        return l.size >= readings.length ? l : undefined;
      },
      120_000,
    );
    expect(chaos.size).toBe(readings.length);

    const single = await runUntil(await replayInto(config), readings.length);
    expect(chaos).toEqual(single);
    // Every copy of a reading, duplicates from re-written batches included, carries the same label.
    const db = await openLakeDatabase(config);
    try {
      const copies = (await db.connection.runAndReadAll('SELECT id, event_id FROM raw_readings')).getRows();
      const mismatched = copies.filter(([id, event]) => single.get(String(id)) !== Number(event));
      expect(mismatched).toEqual([]);
    } finally {
      db.close();
    }
  });
});
