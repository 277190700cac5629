/** Shared set-up of the bridge tests: a bridge on real Kafka with fresh topics, a registry file, MQTT clients, Kafka counts. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startBridge, type BridgeHandle } from '../../bridge/index.js';
import { connectKafkaSink, type KafkaProducerSink, type ProducerClient } from '../../bridge/kafka-producer.js';
import { hashCredential, writeRegistryFile, type RegistryInput } from '../../bridge/registry/index.js';
import type { RegistrySource } from '../../bridge/registry/sources.js';
import type { KotsConfig } from '../../core/config/index.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { servers, testConfig, uniqueName } from '../helpers/servers.js';

/** Cheap hashes keep the suite fast; the default cost is tested in registry.test.ts. */
export const TEST_COST = { ln: 10, r: 8, p: 1 };

export interface TestDevice {
  id: string;
  city: string;
  secret: string;
  revoked?: boolean;
}

export async function registryOf(
  devices: TestDevice[],
  users: Array<{ name: string; role: 'operator' | 'dashboard'; secret: string }> = [],
): Promise<RegistryInput> {
  return {
    devices: await Promise.all(
      devices.map(async (d) => ({ id: d.id, city: d.city, hash: await hashCredential(d.secret, TEST_COST), revoked: d.revoked ?? false })),
    ),
    users: await Promise.all(users.map(async (u) => ({ name: u.name, role: u.role, hash: await hashCredential(u.secret, TEST_COST) }))),
  };
}

export function kafkaEnv(brokers = servers.kafkaBrokers, suffix = uniqueName('b')): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers.join(','),
    KOTS_KAFKA_WEATHER_TOPIC: `weather-${suffix}`,
    KOTS_KAFKA_DEAD_LETTER_TOPIC: `weather.dlq-${suffix}`,
    KOTS_KAFKA_EVENTS_TOPIC: `surreal-events-${suffix}`,
    KOTS_KAFKA_PARTITIONS: '1',
    KOTS_LOG_LEVEL: 'warn',
  };
}

/**
 * The Kafka client the bridge tests produce with: in CI librdkafka (.ci/run builds it, so a
 * missing build fails the tests, naming the install script), locally `auto` (librdkafka once
 * scripts/bridge/install-librdkafka-client.sh has run, else kafkajs). KOTS_TEST_PRODUCER_CLIENT
 * overrides it (kafkajs | librdkafka | auto). kafka-outage and producer-clients run both clients.
 */
export function testProducerClient(): ProducerClient | 'auto' {
  const wanted = process.env.KOTS_TEST_PRODUCER_CLIENT ?? (process.env.CI ? 'librdkafka' : 'auto');
  if (wanted !== 'auto' && wanted !== 'kafkajs' && wanted !== 'librdkafka')
    throw new Error(`KOTS_TEST_PRODUCER_CLIENT: auto, kafkajs or librdkafka, not ${wanted}`);
  return wanted;
}

export interface TestBridge {
  config: KotsConfig;
  bridge: BridgeHandle;
  sink: KafkaProducerSink;
  /** The client that produced (kafka.producerClient resolved). */
  producerClient: ProducerClient;
  url: string;
  registryFile: string | undefined;
  close(): Promise<void>;
}

export async function startTestBridge(
  options: {
    registry?: RegistryInput;
    registrySource?: RegistrySource;
    overrides?: Record<string, unknown>;
    brokers?: string[];
    logger?: Logger;
    kafkaTimeouts?: boolean;
    producerClient?: ProducerClient | 'auto';
  } = {},
): Promise<TestBridge> {
  let registryFile: string | undefined;
  if (options.registry) {
    registryFile = join(mkdtempSync(join(tmpdir(), 'kots-registry-')), 'registry.yaml');
    await writeRegistryFile(registryFile, options.registry);
  }
  const config = testConfig(kafkaEnv(options.brokers), {
    'bridge.port': 0,
    'bridge.registryReloadSeconds': 0.2,
    ...(registryFile ? { 'bridge.registryFile': registryFile } : {}),
    'kafka.producerClient': options.producerClient ?? testProducerClient(),
    ...options.overrides,
  });
  const logger = options.logger ?? silentLogger;
  const { sink, client: producerClient } = await connectKafkaSink(config, logger, '');
  const bridge = await startBridge({ config, sink, logger, ...(options.registrySource ? { registrySource: options.registrySource } : {}) });
  return {
    config,
    bridge,
    sink,
    producerClient,
    url: `mqtt://127.0.0.1:${bridge.listeners.port}`,
    registryFile,
    async close() {
      await bridge.close();
      await sink.close();
    },
  };
}

/** Connects and resolves on CONNACK success; rejects with the broker's refusal (error.code = return/reason code). */
export function connectClient(url: string, options: IClientOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

export function closed(client: MqttClient, timeoutMs = 10_000): Promise<boolean> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve(true);
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function admin(brokers: string[]) {
  return new Kafka({ clientId: 'kots-bridge-test', brokers, logLevel: logLevel.NOTHING }).admin();
}

/** Number of records in a topic (sum of its partitions' end offsets). */
export async function topicCount(brokers: string[], topic: string): Promise<number> {
  const a = admin(brokers);
  await a.connect();
  try {
    const offsets = await a.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await a.disconnect();
  }
}

export interface TopicRecord {
  key: string | undefined;
  value: Buffer;
  headers: Record<string, string>;
  partition: number;
  /** Kafka's record timestamp (ms). */
  timestamp: number;
}

/** Reads a topic from the beginning until `until` records are there (or `timeoutMs`). */
export async function readTopic(brokers: string[], topic: string, until: number, timeoutMs = 30_000): Promise<TopicRecord[]> {
  const kafka = new Kafka({ clientId: 'kots-bridge-test', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('bridge-test-reader') });
  const records: TopicRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const enough = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        records.push({ key: message.key?.toString(), value: message.value ?? Buffer.alloc(0), headers, partition, timestamp: Number(message.timestamp) });
        if (records.length >= until) done();
      },
    });
    await Promise.race([enough, new Promise((r) => setTimeout(r, timeoutMs))]);
    return records;
  } finally {
    await consumer.disconnect();
  }
}

export { freePort } from '../helpers/own-servers.js';

export function publish(
  client: MqttClient,
  topic: string,
  payload: string | Buffer,
  options: { qos?: 0 | 1; retain?: boolean } = {},
): Promise<{ reasonCode?: number }> {
  return new Promise((resolve, reject) => {
    client.publish(topic, payload, { qos: options.qos ?? 1, retain: options.retain ?? false }, (error, packet) => {
      if (error) reject(error);
      else resolve({ reasonCode: (packet as { reasonCode?: number } | undefined)?.reasonCode });
    });
  });
}

/** The SUBACK codes of one SUBSCRIBE (mqtt.js reports a refusal as an error that carries them). */
export function subscribeCodes(client: MqttClient, filters: string[], qos: 0 | 1 = 1): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos }, (error, granted) => {
      const codes = (error as { packet?: { granted?: number[] } } | null)?.packet?.granted;
      if (codes) return resolve(codes.map((c) => (typeof c === 'number' ? c : (c as { qos: number }).qos)));
      if (granted?.length) return resolve(granted.map((g) => g.qos));
      reject(error ?? new Error('no SUBACK codes'));
    });
  });
}
