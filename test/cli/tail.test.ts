/**
 * `kots tail` watches readings (MQTT or Kafka), surreal events and the dead-letter topic live,
 * like mosquitto_sub: one line of words per message (or the message with --json), a city
 * filter, and -n to stop after a count. Real broker, real Kafka.
 */
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { startTestBroker } from '../agent/broker.js';
import { KOTS_BIN, bareEnvironment, waitFor } from '../helpers/processes.js';
import { makeReading } from '../helpers/readings.js';
import { servers, uniqueName } from '../helpers/servers.js';

interface Tail {
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

function tail(args: string[], env: Record<string, string> = {}): Tail {
  const child = spawn(process.execPath, [KOTS_BIN, 'tail', ...args], { env: { ...bareEnvironment(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  setTimeout(() => child.kill('SIGKILL'), 60_000).unref();
  return { stdout: () => stdout, stderr: () => stderr, exited };
}

describe('kots tail', () => {
  it('readings from the MQTT broker: one line each, only the asked city, and stops after -n', async () => {
    const broker = await startTestBroker();
    try {
      const watching = tail(['readings', '--from', 'mqtt', '--url', broker.url, '--city', 'takamatsu', '-n', '2']);
      await waitFor('the subscription', async () => /Ctrl-C stops/.test(watching.stderr()), 30_000);
      const client = await mqtt.connectAsync(broker.url, { clientId: 'tail-test-publisher' });
      const cairo = { slug: 'cairo', name: 'Cairo' };
      await client.publishAsync('kots/v1/cairo/dev-c/weather', JSON.stringify(makeReading({ device_id: 'dev-c', city: cairo, seq: 1 })), { qos: 1 });
      await client.publishAsync('kots/v1/takamatsu/dev-t/weather', JSON.stringify(makeReading({ device_id: 'dev-t', seq: 7 })), { qos: 1 });
      await client.publishAsync('kots/v1/takamatsu/dev-t/weather', JSON.stringify(makeReading({ device_id: 'dev-t', seq: 8 })), { qos: 1 });
      expect(await watching.exited).toBe(0);
      await client.endAsync();
      const lines = watching.stdout().trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^11:00:00 {2}Takamatsu {5}dev-t #7 {2}12\.0 °C {2}Clear \(clear sky\) {2}wind 2\.1 m\/s$/),
        expect.stringMatching(/dev-t #8/),
      ]);
    } finally {
      await broker.close();
    }
  });

  it('readings, events and dead letters from Kafka, as words or --json, without moving any real group', async () => {
    const suffix = uniqueName('tail');
    const env = {
      KAFKA_BROKERS: servers.kafkaBrokers.join(','),
      KOTS_KAFKA_WEATHER_TOPIC: `weather-${suffix}`,
      KOTS_KAFKA_DEAD_LETTER_TOPIC: `weather.dlq-${suffix}`,
      KOTS_KAFKA_EVENTS_TOPIC: `surreal-events-${suffix}`,
    };
    const kafka = new Kafka({ clientId: 'tail-test', brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING });
    const setup = kafka.admin();
    await setup.connect();
    await setup.createTopics({
      waitForLeaders: true,
      topics: [env.KOTS_KAFKA_WEATHER_TOPIC, env.KOTS_KAFKA_DEAD_LETTER_TOPIC, env.KOTS_KAFKA_EVENTS_TOPIC].map((topic) => ({ topic, numPartitions: 1 })),
    });
    await setup.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const reading = makeReading({ device_id: 'dev-k', seq: 3, city: { slug: 'kochi', name: 'Kochi' } });
    await producer.send({ topic: env.KOTS_KAFKA_WEATHER_TOPIC, messages: [{ key: 'kochi', value: JSON.stringify(reading) }] });
    await producer.send({
      topic: env.KOTS_KAFKA_DEAD_LETTER_TOPIC,
      messages: [
        {
          key: 'cairo',
          value: '{"v":1,"broken',
          headers: {
            'kots-reason': 'not JSON: Unterminated string',
            'kots-device': 'dev-bad',
            'kots-stage': 'bridge',
            'kots-mqtt-topic': 'kots/v1/cairo/dev-bad/weather',
          },
        },
      ],
    });
    const alert = {
      readingId: reading.id,
      city: 'kochi',
      cityName: 'Kochi',
      deviceId: 'dev-k',
      observedAt: reading.observed_at,
      localTime: '2026-11-25T20:00:00',
      eventId: 2,
      eventName: 'The Two Moons Appearance',
      newsflash: 'Two moons over the harbour.',
    };
    await producer.send({ topic: env.KOTS_KAFKA_EVENTS_TOPIC, messages: [{ key: 'kochi', value: JSON.stringify(alert) }] });
    await producer.disconnect();

    const readings = tail(['readings', '--from-beginning', '-n', '1'], env);
    const events = tail(['events', '--from-beginning', '-n', '1'], env);
    const dlq = tail(['dlq', '--from-beginning', '-n', '1', '--json'], env);
    expect([await readings.exited, await events.exited, await dlq.exited]).toEqual([0, 0, 0]);
    expect(readings.stdout()).toMatch(/^11:00:00 {2}Kochi {9}dev-k #3 {2}12\.0 °C/);
    expect(events.stdout().trim()).toBe(`2026-11-25 20:00 local  ${'Kochi'.padEnd(12)}  The Two Moons Appearance: Two moons over the harbour.`);
    const letter = JSON.parse(dlq.stdout()) as { headers: Record<string, string>; payload: string };
    expect(letter.headers['kots-reason']).toBe('not JSON: Unterminated string');
    expect(letter.payload).toBe('{"v":1,"broken');

    // Its throw-away groups are gone afterwards.
    const admin = kafka.admin();
    await admin.connect();
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    await admin.disconnect();
    expect(groups.filter((g) => g.startsWith('kots-tail-'))).toEqual([]);
  });

  it('says where events live when there is no Kafka', async () => {
    const watching = tail(['events']);
    expect(await watching.exited).toBe(2);
    expect(watching.stderr().trim()).toBe('kots: kafka.brokers: events live in Kafka and need KAFKA_BROKERS');
  });
});
