/** Limits (payload size, message rate, connections) and the metrics HTTP server, on real Kafka. */
import { afterEach, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../core/topics.js';
import { makeReading } from '../helpers/readings.js';
import { servers } from '../helpers/servers.js';
import { closed, connectClient, publish, startTestBridge, topicCount, type TestBridge } from './helpers.js';

const running: TestBridge[] = [];
afterEach(async () => {
  for (const t of running.splice(0)) await t.close();
});

async function bridge(overrides: Record<string, unknown>): Promise<TestBridge> {
  const t = await startTestBridge({ overrides });
  running.push(t);
  return t;
}

const reading = (id: string, seq = 0) => JSON.stringify(makeReading({ device_id: id, seq }));
const topic = (id: string) => deviceTopic('takamatsu', id, 'weather');

describe('limits', () => {
  it('disconnects a client sending a payload over bridge.maxPayloadBytes (3.1.1 and 5); the bridge carries on', async () => {
    const t = await bridge({ 'bridge.maxPayloadBytes': 4096 });
    for (const version of [4, 5] as const) {
      const client = await connectClient(t.url, { clientId: 'dev-big', protocolVersion: version });
      const gone = closed(client);
      client.publish(topic('dev-big'), Buffer.alloc(64 * 1024, 0x41), { qos: 1 });
      expect(await gone).toBe(true);
    }
    // a payload under the frame limit but over maxPayloadBytes is refused too
    const client = await connectClient(t.url, { clientId: 'dev-big', protocolVersion: 4 });
    const gone = closed(client);
    client.publish(topic('dev-big'), Buffer.alloc(4500, 0x41), { qos: 1 });
    expect(await gone).toBe(true);
    expect(t.bridge.metrics.refusedByReason.get('payload_too_large')).toBeGreaterThanOrEqual(1);
    const ok = await connectClient(t.url, { clientId: 'dev-ok' });
    await publish(ok, topic('dev-ok'), reading('dev-ok'));
    ok.end(true);
  });

  it('slows a device over its rate, disconnects one flooding far past it, and leaves the others alone', async () => {
    const t = await bridge({ 'bridge.maxMessagesPerMinute': 600, 'bridge.rateBurst': 5 });
    // well-behaved: 12 readings one after another at 10/s allowed: the last ones wait for tokens, none is refused
    const calm = await connectClient(t.url, { clientId: 'dev-calm' });
    const started = Date.now();
    for (let i = 0; i < 12; i++) await publish(calm, topic('dev-calm'), reading('dev-calm', i));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    // abusive: 200 QoS 0 publishes at once
    const flood = await connectClient(t.url, { clientId: 'dev-flood' });
    const gone = closed(flood);
    for (let i = 0; i < 200; i++) flood.publish(deviceTopic('takamatsu', 'dev-flood', 'health'), '{}', { qos: 0 });
    expect(await gone).toBe(true);
    expect(t.bridge.metrics.refusedByReason.get('rate_limited')).toBe(1);
    await publish(calm, topic('dev-calm'), reading('dev-calm', 12));
    expect(calm.connected).toBe(true);
    calm.end(true);
    expect(await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic)).toBe(13);
  });

  it('refuses connections beyond bridge.maxConnections', async () => {
    const t = await bridge({ 'bridge.maxConnections': 3 });
    const clients = await Promise.all([1, 2, 3].map((n) => connectClient(t.url, { clientId: `dev-${n}` })));
    await expect(connectClient(t.url, { clientId: 'dev-4' })).rejects.toThrow();
    expect(t.bridge.metrics.refusedByReason.get('max_connections')).toBeGreaterThanOrEqual(1);
    clients[0]!.end(true);
    await closed(clients[0]!);
    await new Promise((r) => setTimeout(r, 100));
    const late = await connectClient(t.url, { clientId: 'dev-4' });
    for (const c of [...clients, late]) c.end(true);
  });
});

describe('metrics server', () => {
  it('serves /metrics in Prometheus text format and /healthz with Kafka status', async () => {
    const t = await bridge({ 'bridge.metricsPort': 0 });
    const client = await connectClient(t.url, { clientId: 'dev-m' });
    await publish(client, topic('dev-m'), reading('dev-m'));
    await publish(client, topic('dev-m'), 'not json');
    const base = `http://127.0.0.1:${t.bridge.metricsServer!.port}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^kots_bridge_connections 1$/m);
    expect(metrics).toMatch(/^kots_bridge_messages_in_total 2$/m);
    expect(metrics).toMatch(/^kots_bridge_messages_out_total 1$/m);
    expect(metrics).toMatch(/^kots_bridge_messages_rejected_total\{reason="not_json"\} 1$/m);
    expect(metrics).toMatch(/^kots_bridge_kafka_latency_ms\{quantile="0.99"\} \d+\.\d+$/m);
    expect(metrics).toMatch(/^kots_bridge_kafka_up 1$/m);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', kafka: 'up' });
    client.end(true);
  });
});
