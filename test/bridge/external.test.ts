/**
 * External broker mode on real Mosquitto and real Kafka: bridges share
 * $share/<group>/kots/v1/+/+/weather, split the load, and acknowledge a reading
 * to Mosquitto only after Kafka has it (a bridge that stops before that leaves
 * the reading with Mosquitto, which hands it to the bridge's next session).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { OutgoingRecord, ReadingSink } from '../../core/bus.js';
import { startExternalBridge, type ExternalBridgeHandle } from '../../bridge/external.js';
import { connectKafkaSink } from '../../bridge/kafka-producer.js';
import type { KotsConfig } from '../../core/config/index.js';
import { silentLogger } from '../../core/log.js';
import { deviceTopic } from '../../core/topics.js';
import { waitFor } from '../helpers/processes.js';
import { makeReading } from '../helpers/readings.js';
import { servers, testConfig, uniqueName } from '../helpers/servers.js';
import { connectClient, kafkaEnv, publish, readTopic, testProducerClient, topicCount } from './helpers.js';

const run = promisify(execFile);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function externalConfig(env: Record<string, string>, group: string, clientId: string): KotsConfig {
  return testConfig(env, {
    'bridge.externalBrokerUrl': servers.mosquittoUrl,
    'bridge.shareGroup': group,
    'bridge.externalClientId': clientId,
    'bridge.externalConnections': 2,
    // the shared Mosquitto must not keep our sessions (and queue the suite's traffic for them) for long
    'bridge.externalSessionExpirySeconds': 30,
  });
}

async function realSink(config: KotsConfig): Promise<ReadingSink> {
  const { sink } = await connectKafkaSink({ ...config, kafka: { ...config.kafka, producerClient: testProducerClient() } }, silentLogger, '');
  cleanups.push(() => sink.close());
  return sink;
}

async function bridge(config: KotsConfig, sink: ReadingSink): Promise<ExternalBridgeHandle> {
  const handle = await startExternalBridge({ config, sink, logger: silentLogger });
  cleanups.push(() => handle.close());
  return handle;
}

/** A sink whose writes never complete, as when Kafka does not answer: nothing may be acknowledged upstream. */
class NeverDurableSink implements ReadingSink {
  received = 0;
  sendReadings(records: readonly OutgoingRecord[]): Promise<void> {
    this.received += records.length;
    return new Promise(() => undefined);
  }
  sendDeadLetters(records: readonly OutgoingRecord[]): Promise<void> {
    return this.sendReadings(records);
  }
  async close(): Promise<void> {}
}

const ids = (records: Array<{ value: Buffer }>, prefix: string) =>
  new Set(
    records
      .map((r) => JSON.parse(r.value.toString()) as { id: string; device_id: string })
      .filter((r) => r.device_id.startsWith(prefix))
      .map((r) => r.id),
  );

describe('external broker mode (Mosquitto)', () => {
  it('two bridges on one shared subscription split the readings of several devices (mqtt.js 3.1.1 and 5, mosquitto_pub) and all reach Kafka', async () => {
    const env = kafkaEnv();
    const group = uniqueName('grp');
    const prefix = uniqueName('ext').replace(/[^a-z0-9-]/g, '');
    const a = await bridge(externalConfig(env, group, `${group}-a`), await realSink(externalConfig(env, group, `${group}-a`)));
    const b = await bridge(externalConfig(env, group, `${group}-b`), await realSink(externalConfig(env, group, `${group}-b`)));
    const config = externalConfig(env, group, 'x');
    const sent: string[] = [];
    const devices = await Promise.all(
      [4, 5, 5].map((version, i) => connectClient(servers.mosquittoUrl, { clientId: `${prefix}-${i}`, protocolVersion: version as 4 | 5 })),
    );
    await Promise.all(
      devices.map(async (device, i) => {
        for (let seq = 0; seq < 30; seq++) {
          const reading = makeReading({ device_id: `${prefix}-${i}`, seq });
          sent.push(reading.id);
          await publish(device, deviceTopic('takamatsu', `${prefix}-${i}`, 'weather'), JSON.stringify(reading));
        }
      }),
    );
    const viaCli = makeReading({ device_id: `${prefix}-cli` });
    sent.push(viaCli.id);
    const [host, port] = servers.mosquittoUrl.replace('mqtt://', '').split(':') as [string, string];
    await run('mosquitto_pub', [
      '-h',
      host,
      '-p',
      port,
      '-V',
      'mqttv5',
      '-q',
      '1',
      '-t',
      deviceTopic('takamatsu', `${prefix}-cli`, 'weather'),
      '-m',
      JSON.stringify(viaCli),
    ]);
    // an invalid one goes to the dead-letter topic, as in embedded mode
    await publish(devices[0]!, deviceTopic('takamatsu', `${prefix}-0`, 'weather'), 'not json');
    for (const d of devices) d.end(true);

    const arrived = await waitFor(
      'every reading in Kafka',
      async () => {
        const found = ids(await readTopic(servers.kafkaBrokers, config.kafka.weatherTopic, sent.length, 3000), prefix);
        return sent.every((id) => found.has(id)) ? found : undefined;
      },
      60_000,
      500,
    );
    expect(arrived.size).toBe(sent.length);
    expect(a.metrics.messagesIn).toBeGreaterThan(0);
    expect(b.metrics.messagesIn).toBeGreaterThan(0);
    expect(await topicCount(servers.kafkaBrokers, config.kafka.deadLetterTopic)).toBeGreaterThanOrEqual(1);
  });

  it('acknowledges to Mosquitto only after Kafka: readings held by a bridge that stops are re-delivered to its next session', async () => {
    const env = kafkaEnv();
    const group = uniqueName('grp');
    const prefix = uniqueName('held').replace(/[^a-z0-9-]/g, '');
    const config = externalConfig(env, group, `${group}-a`);
    const stuck = new NeverDurableSink();
    const first = await startExternalBridge({ config, sink: stuck, logger: silentLogger });
    const device = await connectClient(servers.mosquittoUrl, { clientId: prefix, protocolVersion: 5 });
    const sent: string[] = [];
    for (let seq = 0; seq < 10; seq++) {
      const reading = makeReading({ device_id: prefix, seq });
      sent.push(reading.id);
      await publish(device, deviceTopic('takamatsu', prefix, 'weather'), JSON.stringify(reading));
    }
    device.end(true);
    await waitFor('the first bridge holding readings', async () => stuck.received > 0 || undefined, 10_000);
    await first.close(); // stops without having acknowledged anything
    expect(await topicCount(servers.kafkaBrokers, config.kafka.weatherTopic).catch(() => 0)).toBe(0);

    const second = await bridge(config, await realSink(config)); // same client ids: the same sessions
    const arrived = await waitFor(
      'every held reading in Kafka',
      async () => {
        const found = ids(await readTopic(servers.kafkaBrokers, config.kafka.weatherTopic, sent.length, 3000), prefix);
        return sent.every((id) => found.has(id)) ? found : undefined;
      },
      60_000,
      500,
    );
    expect(arrived.size).toBe(10);
    expect(second.metrics.messagesIn).toBeGreaterThanOrEqual(10);
  });
});
