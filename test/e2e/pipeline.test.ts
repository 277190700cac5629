/**
 * The slice end to end on real servers: simulated agents -> the bridge's
 * embedded aedes -> Kafka -> `kots consumer` (a child process) -> Parquet on
 * the S3 server -> DuckDB over the bucket.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '../../agent/index.js';
import { startBridge, type BridgeHandle } from '../../bridge/index.js';
import { KafkaReadingSink } from '../../bridge/kafka-sink.js';
import type { KotsConfig } from '../../core/config/index.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { silentLogger } from '../../core/log.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { makeReading } from '../helpers/readings.js';
import { spawnKots, waitFor, type KotsProcess } from '../helpers/processes.js';
import { createBucket, testConfig, testEnvironment } from '../helpers/servers.js';

const CITIES = [
  { name: 'Takamatsu', country: 'JP', lat: 34.34, lon: 134.05, timezone: 32400 },
  { name: 'Reykjavik', country: 'IS', lat: 64.15, lon: -21.94, timezone: 0 },
  { name: 'Cairo', country: 'EG', lat: 30.04, lon: 31.24, timezone: 7200 },
];

interface Running {
  bridge: BridgeHandle;
  sink: KafkaReadingSink;
  consumers: KotsProcess[];
  agents: AgentHandle[];
}

const running: Running[] = [];

afterEach(async () => {
  for (const r of running.splice(0)) {
    await Promise.all(r.agents.map((a) => a.stop()));
    await r.bridge.close();
    await r.sink.close();
    await Promise.all(r.consumers.map((c) => c.kill('SIGKILL')));
  }
});

async function startSlice(env: Record<string, string>): Promise<{ config: KotsConfig; r: Running }> {
  const config = testConfig(env, { 'bridge.port': 0 });
  const kafka = createKafka(config.kafka, silentLogger);
  await ensureTopics(kafka, config.kafka);
  const sink = await KafkaReadingSink.connect({
    kafka,
    weatherTopic: config.kafka.weatherTopic,
    deadLetterTopic: config.kafka.deadLetterTopic,
    logger: silentLogger,
  });
  const bridge = await startBridge({ config, sink, logger: silentLogger });
  const r: Running = { bridge, sink, consumers: [], agents: [] };
  running.push(r);
  return { config, r };
}

const consumerEnv = (env: Record<string, string>) => ({
  ...env,
  KOTS_CONSUMER_BATCH_MAX_RECORDS: '25',
  KOTS_CONSUMER_BATCH_MAX_AGE_MS: '400',
  KOTS_CONSUMER_SESSION_TIMEOUT_MS: '8000',
});

async function startAgents(config: KotsConfig, r: Running, readingsEach: number, interval: [number, number] = [0.01, 0.04]): Promise<void> {
  const spoolRoot = mkdtempSync(join(tmpdir(), 'kots-e2e-spool-'));
  for (const [i, city] of CITIES.entries()) {
    const deviceId = `e2e-agent-${i + 1}`;
    r.agents.push(
      await startAgent({
        config: {
          ...config,
          mqtt: { ...config.mqtt, url: `mqtt://127.0.0.1:${r.bridge.listeners.port}` },
          agent: {
            ...config.agent,
            deviceId,
            city,
            source: 'simulated',
            intervalMinSeconds: interval[0],
            intervalMaxSeconds: interval[1],
            spoolDir: join(spoolRoot, deviceId),
            seed: 7 + i,
          },
        },
        logger: silentLogger,
        maxReadings: readingsEach,
      }),
    );
  }
}

async function lakeCounts(config: KotsConfig): Promise<{ distinct: number; rows: number; raw: number; cities: number }> {
  const db = await openLakeDatabase(config);
  try {
    const reader = await db.connection.runAndReadAll(
      'SELECT (SELECT count(DISTINCT id) FROM raw_readings), (SELECT count(*) FROM readings), (SELECT count(*) FROM raw_readings), (SELECT count(DISTINCT city) FROM readings)',
    );
    const [distinct, rows, raw, cities] = reader.getRows()[0]!.map(Number) as [number, number, number, number];
    return { distinct, rows, raw, cities };
  } finally {
    db.close();
  }
}

async function rawFileCount(config: KotsConfig): Promise<number> {
  const db = await openLakeDatabase(config);
  try {
    return (await db.lake.list('raw/weather/')).length;
  } finally {
    db.close();
  }
}

describe('end to end on real aedes, Kafka and S3', () => {
  it('3 agents x 100 readings arrive in the bucket exactly once each', async () => {
    const env = testEnvironment(await createBucket());
    const { config, r } = await startSlice(env);
    r.consumers.push(spawnKots(['consumer'], consumerEnv(env)));
    await startAgents(config, r, 100);
    await Promise.all(
      r.agents.map(async (a) => {
        await a.finished;
        await a.drained();
      }),
    );
    expect(r.agents.map((a) => a.stats().acked)).toEqual([100, 100, 100]);

    const counts = await waitFor('300 readings in the lake', async () => {
      const c = await lakeCounts(config);
      return c.distinct >= 300 ? c : undefined;
    });
    expect(counts).toEqual({ distinct: 300, rows: 300, raw: 300, cities: 3 });
  });

  it('SIGKILL of the consumer mid-run loses nothing', async () => {
    const env = testEnvironment(await createBucket());
    const { config, r } = await startSlice(env);
    const first = spawnKots(['consumer'], consumerEnv(env));
    r.consumers.push(first);
    // Slow enough (about 12 s per agent) that the consumer dies with readings still to come.
    await startAgents(config, r, 100, [0.08, 0.16]);
    await waitFor('the first files in the lake', async () => (await rawFileCount(config)) >= 2);
    expect(
      r.agents.some((a) => a.stats().taken < 100),
      'the kill must happen mid-run',
    ).toBe(true);
    await first.kill('SIGKILL');
    expect(first.child.signalCode).toBe('SIGKILL');
    r.consumers.push(spawnKots(['consumer'], consumerEnv(env)));
    await Promise.all(
      r.agents.map(async (a) => {
        await a.finished;
        await a.drained();
      }),
    );

    const counts = await waitFor('300 distinct readings in the lake', async () => {
      const c = await lakeCounts(config);
      return c.distinct >= 300 ? c : undefined;
    });
    // Rows of a batch written again after the crash may repeat in raw files; the readings view counts each id once.
    expect(counts.distinct).toBe(300);
    expect(counts.rows).toBe(300);
    expect(counts.raw).toBeGreaterThanOrEqual(300);
  });

  it('refuses a wrong version, a missing field and non-JSON bytes, and the readings around them arrive', async () => {
    const env = testEnvironment(await createBucket());
    const { config, r } = await startSlice(env);
    r.consumers.push(spawnKots(['consumer'], consumerEnv(env)));
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${r.bridge.listeners.port}`, { clientId: 'e2e-raw', protocolVersion: 4 });
    const topic = 'kots/v1/kochi/dev-raw/weather';
    const good = (seq: number) => makeReading({ device_id: 'dev-raw', city: { slug: 'kochi', name: 'Kochi' }, seq });
    const goodIds: string[] = [];
    const send = async (payload: string | Buffer) => client.publishAsync(topic, payload, { qos: 1 });
    for (let seq = 0; seq < 4; seq++) {
      const reading = good(seq);
      goodIds.push(reading.id);
      await send(JSON.stringify(reading));
      if (seq === 0) await send(JSON.stringify({ ...good(100), v: 99 }));
      if (seq === 1) {
        const { observed_at: _dropped, ...missing } = good(101);
        await send(JSON.stringify(missing));
      }
      if (seq === 2) await send(Buffer.from('this is not json {'));
    }
    await client.endAsync();

    const kafka = new Kafka({ clientId: 'e2e-dlq-reader', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: `dlq-reader-${config.kafka.deadLetterTopic}` });
    const reasons: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: config.kafka.deadLetterTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void reasons.push(String(message.headers?.['kots-reason'])) });
    await waitFor('3 dead letters', async () => reasons.length >= 3);
    await consumer.disconnect();
    expect(reasons).toEqual([
      expect.stringMatching(/unsupported reading version 99/),
      expect.stringMatching(/^observed_at: /),
      expect.stringMatching(/^not JSON/),
    ]);

    await waitFor('the 4 good readings in the lake', async () => (await lakeCounts(config)).distinct >= 4);
    const db = await openLakeDatabase(config);
    try {
      const ids = (await db.connection.runAndReadAll('SELECT id FROM readings ORDER BY seq')).getRows().map((row) => row[0]);
      expect(ids).toEqual(goodIds);
    } finally {
      db.close();
    }
  });
});
