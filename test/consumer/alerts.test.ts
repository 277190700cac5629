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
});
