/** Limits (payload size, message rate, connections) and the metrics HTTP server, on real Kafka. */
import mqtt from 'mqtt';
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
    const t = await bridge({ 'bridge.maxMessagesPerMinute': 600, 'bridge.rateBurst': 5, 'bridge.receiveMaximum': 20 });
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

  it('with the default limits, a device drains a 2,000-reading backlog at full speed (its window = the receive maximum, as the agent keeps)', async () => {
    const t = await bridge({});
    const client = mqtt.connect(t.url, { clientId: 'dev-back', protocolVersion: 5, reconnectPeriod: 0 });
    // The bridge advertises its receive maximum (the agent's window follows it).
    const connack = await new Promise<{ properties?: { receiveMaximum?: number } }>((resolve) => client.once('connect', resolve));
    const receiveMaximum = connack.properties?.receiveMaximum ?? 0;
    expect(receiveMaximum).toBe(t.config.bridge.receiveMaximum);
    expect(receiveMaximum).toBeGreaterThanOrEqual(100);
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < 2000) await publish(client, topic('dev-back'), reading('dev-back', next++));
    };
    await Promise.all(Array.from({ length: receiveMaximum }, worker));
    const seconds = (performance.now() - started) / 1000;
    // Under the old default (600/min, burst 60) this took over 3 minutes; 10/s would be 200 s.
    expect(seconds).toBeLessThan(30);
    expect(t.bridge.metrics.refusedByReason.get('rate_limited')).toBeUndefined();
    expect(await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic)).toBe(2000);
    client.end(true);
  });

  it("remembers a device's spent tokens across a reconnect, so reconnecting is no way around the rate", async () => {
    const t = await bridge({ 'bridge.maxMessagesPerMinute': 60, 'bridge.rateBurst': 10 });
    const first = await connectClient(t.url, { clientId: 'dev-re' });
    for (let i = 0; i < 10; i++) await publish(first, topic('dev-re'), reading('dev-re', i));
    first.end(true);
    await closed(first);
    await new Promise((r) => setTimeout(r, 100));
    const second = await connectClient(t.url, { clientId: 'dev-re' });
    const started = Date.now();
    for (let i = 10; i < 12; i++) await publish(second, topic('dev-re'), reading('dev-re', i));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500); // two tokens at 1/s, not a fresh burst
    second.end(true);
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
    expect(metrics).toMatch(/^kots_bridge_kafka_latency_ms_count 1$/m);
    expect(metrics).toMatch(/^kots_bridge_kafka_latency_ms_bucket\{le="\+Inf"\} 1$/m);
    expect(metrics).toMatch(/^kots_bridge_kafka_up 1$/m);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', kafka: 'up' });
    client.end(true);
  });
});
