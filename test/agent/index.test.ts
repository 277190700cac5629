import { createServer } from 'node:http';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReading, type Reading } from '../../core/reading.js';
import { DEFAULT_CITIES, startAgent, type AgentHandle } from '../../agent/index.js';
import type { HealthMessage } from '../../agent/health.js';
import { runSimulation } from '../../agent/simulate.js';
import { startTestBroker, waitFor, type TestBroker } from './broker.js';
import { testAgentConfig } from './config.js';
import { firstArrivals } from './order.js';

const silent = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** aedes writes the PUBACK before it emits 'publish' (docs/design.md, "Facts behind our choices"), so a drained agent can be a moment ahead of the record. */
async function arrived(broker: { received: TestBroker['received'] }, count: number): Promise<Reading[]> {
  await waitFor(() => readingsOf(broker).length >= count, `${count} readings at the broker`);
  return readingsOf(broker);
}

function readingsOf(broker: { received: TestBroker['received'] }): Reading[] {
  return broker.received
    .filter((m) => m.topic.endsWith('/weather'))
    .map((m) => {
      const verdict = parseReading(m.payload);
      if (!verdict.ok) throw new Error(`invalid reading on the wire: ${verdict.reason}`);
      return verdict.reading;
    });
}

describe('startAgent', () => {
  it('publishes valid v1 readings QoS 1 on the device topic and announces itself retained online', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const agent = await startAgent({ config: testAgentConfig(broker.url), logger: silent, maxReadings: 5 });
    cleanups.push(() => agent.stop());
    await agent.finished;
    await agent.drained();
    const readings = await arrived(broker, 5);
    expect(readings.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(readings.map((r) => r.id)).size).toBe(5);
    expect(readings[0]).toMatchObject({ device_id: 'dev-test', city: { slug: 'takamatsu', name: 'Takamatsu' }, source: 'simulated' });
    expect(broker.received.find((m) => m.topic.endsWith('/weather'))!.topic).toBe('kots/v1/takamatsu/dev-test/weather');
    const status = broker.received.find((m) => m.topic === 'kots/v1/takamatsu/dev-test/status');
    expect(status).toMatchObject({ payload: 'online', retain: true });
    expect(agent.stats()).toMatchObject({ taken: 5, acked: 5, spooled: 0, dropped: 0 });
  });

  it('asked for MQTT 5 by a 3.1.1-only broker (aedes), falls back to 3.1.1 and publishes', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const agent = await startAgent({ config: testAgentConfig(broker.url, {}, { protocolVersion: 5 }), logger: silent, maxReadings: 2 });
    cleanups.push(() => agent.stop());
    await agent.finished;
    await agent.drained();
    expect((await arrived(broker, 2)).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('keeps the per-device seq across restarts (persisted in the spool folder)', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const config = testAgentConfig(broker.url);
    for (let run = 0; run < 2; run++) {
      const agent = await startAgent({ config, logger: silent, maxReadings: 3 });
      await agent.finished;
      await agent.drained();
      await agent.stop();
    }
    expect((await arrived(broker, 6)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('takes readings while the broker is down and delivers all of them, in order, when it returns', async () => {
    const received: TestBroker['received'] = [];
    let broker = await startTestBroker(0, received);
    const port = broker.port;
    let agent: AgentHandle | undefined;
    cleanups.push(async () => {
      await agent?.stop();
      await broker.close();
    });
    agent = await startAgent({ config: testAgentConfig(broker.url), logger: silent, maxReadings: 80 });
    await waitFor(() => readingsOf({ received }).length >= 3, 'first readings');
    await broker.close();
    const takenAtOutage = agent.stats().taken;
    await waitFor(() => agent!.stats().taken >= takenAtOutage + 20, 'readings during the outage');
    expect(agent.stats().spooled).toBeGreaterThanOrEqual(15);
    broker = await startTestBroker(port, received);
    await agent.finished;
    await agent.drained();
    await waitFor(() => new Set(readingsOf({ received }).map((r) => r.seq)).size >= 80, 'all 80 readings at the broker');
    const seqs = firstArrivals(readingsOf({ received }).map((r) => r.seq));
    const taken = agent.stats().taken;
    expect(taken).toBe(80);
    // Every reading taken arrived; QoS 1 may repeat one, but never reorders the de-duplicated sequence.
    expect(seqs).toEqual(Array.from({ length: taken }, (_, i) => i + 1));
    expect(agent.stats().spooled).toBe(0);
  });

  it('applies the retained config topic without a restart, refuses a bad one, and reports the settings in force in health', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const configTopic = 'kots/v1/takamatsu/dev-test/config';
    const retain = (payload: string) =>
      new Promise<void>((resolve, reject) =>
        broker.aedes.publish({ cmd: 'publish', topic: configTopic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
    await retain(JSON.stringify({ intervalMinSeconds: 0.5, intervalMaxSeconds: 0.6, healthIntervalSeconds: 0.1 }));
    const agent = await startAgent({ config: testAgentConfig(broker.url), logger: silent });
    cleanups.push(() => agent.stop());
    await waitFor(() => agent.settings().origin === 'remote', 'the remote settings');
    expect(agent.settings()).toMatchObject({ intervalMinSeconds: 0.5, intervalMaxSeconds: 0.6, healthIntervalSeconds: 0.1 });
    const health = () => broker.received.filter((m) => m.topic === 'kots/v1/takamatsu/dev-test/health').map((m) => JSON.parse(m.payload) as HealthMessage);
    await waitFor(() => health().some((h) => h.settings.origin === 'remote'), 'a health message with the remote settings');
    expect(health().at(-1)).toMatchObject({
      device_id: 'dev-test',
      spool: { depth: expect.any(Number), dropped: 0 },
      versions: { node: process.versions.node },
    });
    // Slower intervals are in force: at most a couple of readings in a second (config file says every 10-30 ms).
    const before = agent.stats().taken;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(agent.stats().taken - before).toBeLessThanOrEqual(3);

    await retain(JSON.stringify({ intervalMinSeconds: 5, intervalMaxSeconds: 1 }));
    await waitFor(() => agent.stats().lastError?.includes('intervalMinSeconds 5 exceeds') ?? false, 'the refusal');
    expect(agent.settings().intervalMinSeconds).toBe(0.5);

    await retain('');
    await waitFor(() => agent.settings().origin === 'config', 'the settings of the config file');
    expect(agent.settings().intervalMaxSeconds).toBe(0.03);
  });

  it('stops with a clear error when the OpenWeather key is refused (no retry storm)', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    let calls = 0;
    const api = createServer((_request, response) => {
      calls++;
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ cod: 401, message: 'Invalid API key.' }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => api.close(() => resolve())));
    const config = testAgentConfig(broker.url, {
      source: 'openweather',
      openweatherApiKey: 'wrong',
      openweatherBaseUrl: `http://127.0.0.1:${(api.address() as { port: number }).port}`,
    });
    const agent = await startAgent({ config, logger: silent });
    cleanups.push(() => agent.stop());
    await expect(agent.finished).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(1);
    expect(agent.stats().lastError).toContain('agent.openweatherApiKey');
  });

  it('refuses to start without a device id or city, naming the settings', async () => {
    const config = testAgentConfig('mqtt://127.0.0.1:1');
    const { deviceId: _d, city: _c, ...agent } = config.agent;
    await expect(startAgent({ config: { ...config, agent }, logger: silent })).rejects.toThrow(/agent\.deviceId and agent\.city must be set/);
  });
});

describe('runSimulation (kots simulate)', () => {
  it('pushes days of readings of every configured city through the broker, observed in the simulated past', async () => {
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const base = testAgentConfig(broker.url);
    const config = { ...base, up: { ...base.up, cities: [DEFAULT_CITIES[0]!, DEFAULT_CITIES[3]!] } };
    const from = new Date('2024-01-01T00:00:00Z');
    const result = await runSimulation({ config, logger: silent, from, days: 2, intervalMinutes: 30 });
    const readings = await arrived(broker, result.readings);
    expect(result.readings).toBe(readings.length);
    expect(readings.length).toBeGreaterThan(2 * 2 * 48 * 0.8);
    expect(new Set(readings.map((r) => r.city.slug))).toEqual(new Set(['takamatsu', 'reykjavik']));
    for (const reading of readings) {
      expect(Date.parse(reading.observed_at)).toBeGreaterThanOrEqual(from.getTime());
      expect(Date.parse(reading.observed_at)).toBeLessThan(from.getTime() + 2 * 86_400_000);
    }
    // Per device: seq and observation time both increase.
    const reykjavik = readings.filter((r) => r.city.slug === 'reykjavik');
    expect(reykjavik.map((r) => r.seq)).toEqual(reykjavik.map((_, i) => i + 1));
    expect([...reykjavik.map((r) => r.observed_at)].sort()).toEqual(reykjavik.map((r) => r.observed_at));
  });
});
