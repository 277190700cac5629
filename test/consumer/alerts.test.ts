/**
 * Alerts: every event the consumer detects reaches `surreal-events`, and
 * `kots alerts` prints it and posts it to a Slack-compatible webhook, retrying
 * until the webhook accepts (a local HTTP server stands in for Slack).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { followAlerts } from '../../consumer/alerts.js';
import { startKafkaConsumer } from '../../consumer/kafka-consumer.js';
import type { SurrealAlert } from '../../consumer/pipeline.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { waitFor } from '../helpers/processes.js';
import { capturingLogger } from '../helpers/logs.js';
import { createBucket, testConfig, testEnvironment, uniqueName } from '../helpers/servers.js';
import { produceReadings, simulatedReadings } from '../helpers/streams.js';

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function body(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}

describe('surreal event alerts', () => {
  it('publishes every detected event and posts each to the webhook (stand-in for Slack), retrying through its failures', async () => {
    const received: Array<{ text: string }> = [];
    let calls = 0;
    const webhook: Server = createServer(async (request, response) => {
      const payload = await body(request);
      calls++;
      // The first two calls fail the way a struggling webhook does; the alerts must still all arrive.
      if (calls <= 2) {
        response.writeHead(503).end();
        return;
      }
      received.push(JSON.parse(payload) as { text: string });
      response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => webhook.close(() => resolve())));
    const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;

    const env = testEnvironment(await createBucket());
    const config = testConfig(env, {
      'consumer.batchMaxRecords': 100,
      'consumer.batchMaxAgeMs': 300,
      'consumer.alertsWebhookUrl': url,
      'consumer.alertsGroupId': uniqueName('alerts'),
    });
    await ensureTopics(createKafka(config.kafka, silentLogger), config.kafka);
    const readings = simulatedReadings(40, { stepMinutes: 60 });
    await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, readings);

    const detected: SurrealAlert[] = [];
    const consumer = await startKafkaConsumer({ config, lake: openLake(config.lake), logger: silentLogger, onAlert: (a) => detected.push(a) });
    stops.push(() => consumer.stop());
    await waitFor('every reading written', async () => consumer.pipeline.stats.written >= readings.length, 60_000);
    expect(detected.length, 'the stream should fire some events').toBeGreaterThan(5);

    const lines: string[] = [];
    const follower = await followAlerts({ config, logger: silentLogger, fromBeginning: true, onAlert: (_alert, line) => lines.push(line) });
    stops.push(() => follower.stop());
    await waitFor('every alert at the webhook', async () => received.length >= detected.length, 90_000);

    expect(calls).toBe(detected.length + 2);
    expect(received.map((r) => r.text).sort()).toEqual(detected.map((a) => `:sparkles: ${a.eventName} in ${a.cityName}: ${a.newsflash}`).sort());
    expect(lines.length).toBeGreaterThanOrEqual(detected.length);
    expect(lines[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} .+ · .+ — .+/);
  });

  it('logs and skips a record of the wrong shape with its offset, goes on, and escapes a device-written city name for Slack (stand-in webhook)', async () => {
    const received: Array<{ text: string; blocks: Array<{ text?: { text: string } }> }> = [];
    const webhook: Server = createServer(async (request, response) => {
      received.push(JSON.parse(await body(request)) as (typeof received)[number]);
      response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => webhook.close(() => resolve())));
    const url = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;

    const env = testEnvironment(await createBucket());
    const config = testConfig(env, { 'consumer.alertsWebhookUrl': url, 'consumer.alertsGroupId': uniqueName('alerts'), 'kafka.partitions': 1 });
    const kafka = createKafka(config.kafka, silentLogger);
    await ensureTopics(kafka, config.kafka);
    const alert = (n: number, cityName: string) => ({
      readingId: `01a212f5-0000-7000-8000-${String(n).padStart(12, '0')}`,
      city: 'kochi',
      cityName,
      deviceId: 'pi-kochi-1',
      observedAt: '2026-11-25T13:00:00.000Z',
      localTime: '2026-11-25T22:00:00',
      eventId: 8,
      eventName: 'The Music of the Wind',
      newsflash: 'Gale-force gusts.',
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: config.kafka.eventsTopic,
      messages: [
        { key: 'kochi', value: JSON.stringify(alert(1, 'Kochi')) },
        // Valid JSON of the wrong shape: localTime is a number, which today's formatter cannot slice.
        { key: 'kochi', value: JSON.stringify({ ...alert(2, 'Kochi'), localTime: 20261125 }) },
        { key: 'kochi', value: JSON.stringify(alert(3, '<!channel> <http://evil.example|click> & co')) },
      ],
    });
    await producer.disconnect();

    const { logger, logged } = capturingLogger<{ msg: string; offset?: string; reason?: string }>('warn');
    const lines: string[] = [];
    const follower = await followAlerts({ config, logger, fromBeginning: true, onAlert: (_alert, line) => lines.push(line) });
    stops.push(() => follower.stop());
    await waitFor('both good alerts at the webhook', async () => received.length >= 2, 30_000);

    expect(lines).toHaveLength(2);
    expect(received[0]!.text).toBe(':sparkles: The Music of the Wind in Kochi: Gale-force gusts.');
    const hostile = JSON.stringify(received[1]);
    expect(hostile).toContain('&lt;!channel&gt; &lt;http://evil.example|click&gt; &amp; co');
    expect(hostile).not.toMatch(/<!channel>|<http/);
    const skipped = logged.find((l) => /not a surreal event/.test(l.msg));
    expect(skipped).toMatchObject({ offset: '1', reason: expect.stringMatching(/localTime/) });
  });
});
