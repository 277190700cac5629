import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReading, type Reading } from '../../core/reading.js';
import { startAgent, type AgentHandle } from '../../agent/index.js';
import { startTestBroker, waitFor, type TestBroker } from './broker.js';
import { testAgentConfig } from './config.js';
import { firstArrivals } from './order.js';

const silent = pino({ level: 'silent' });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

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
    const readings = readingsOf(broker);
    expect(readings.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(readings.map((r) => r.id)).size).toBe(5);
    expect(readings[0]).toMatchObject({ device_id: 'dev-test', city: { slug: 'takamatsu', name: 'Takamatsu' }, source: 'simulated' });
    expect(broker.received.find((m) => m.topic.endsWith('/weather'))!.topic).toBe('kots/v1/takamatsu/dev-test/weather');
    const status = broker.received.find((m) => m.topic === 'kots/v1/takamatsu/dev-test/status');
    expect(status).toMatchObject({ payload: 'online', retain: true });
    expect(agent.stats()).toMatchObject({ taken: 5, acked: 5, spooled: 0, dropped: 0 });
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
    expect(readingsOf(broker).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
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
    const seqs = firstArrivals(readingsOf({ received }).map((r) => r.seq));
    const taken = agent.stats().taken;
    expect(taken).toBe(80);
    // Every reading taken arrived; QoS 1 may repeat one, but never reorders the de-duplicated sequence.
    expect(seqs).toEqual(Array.from({ length: taken }, (_, i) => i + 1));
    expect(agent.stats().spooled).toBe(0);
  });
});
