/**
 * An agent that cannot reach its broker says so at warn level, with the reason and the next
 * try, and does not flood the log during a long outage (agent/link.ts).
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { startAgent } from '../../agent/index.js';
import { MqttLink } from '../../agent/link.js';
import { freePort } from '../helpers/own-servers.js';
import { startTestBroker, waitFor } from './broker.js';
import { testAgentConfig } from './config.js';

interface Entry {
  level: number;
  msg: string;
  reason?: string;
  nextTry?: string;
  attempts?: number;
}

function capturingLogger() {
  const entries: Entry[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) entries.push(JSON.parse(line) as Entry);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), entries, warnings: () => entries.filter((e) => e.level === 40) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('agent connection failures', () => {
  it('warns once with the reason and the next try while the port is closed, then says when it got through', async () => {
    const port = await freePort();
    const { logger, entries, warnings } = capturingLogger();
    const agent = await startAgent({ config: testAgentConfig(`mqtt://127.0.0.1:${port}`), logger });
    try {
      await waitFor(() => warnings().length > 0, 'a warning about the closed port', 10_000);
      const [first] = warnings();
      expect(first!.msg).toMatch(new RegExp(`cannot reach the broker at mqtt://127\\.0\\.0\\.1:${port}: connection refused.*next try in \\d`));
      expect(first!.reason).toMatch(/connection refused/);
      expect(Date.parse(first!.nextTry!)).toBeGreaterThan(Date.now() - 5_000);
      // Reconnects every 0.05-0.3 s for 3 s: many attempts, still one warning (the next is due after 60 s).
      await sleep(3_000);
      expect(warnings()).toHaveLength(1);

      const broker = await startTestBroker(port);
      try {
        await waitFor(() => entries.some((e) => /reached the broker again/.test(e.msg)), 'the recovery line', 10_000);
        const recovered = entries.find((e) => /reached the broker again/.test(e.msg))!;
        expect(recovered.attempts).toBeGreaterThanOrEqual(5);
      } finally {
        await agent.stop();
        await broker.close();
      }
    } finally {
      await agent.stop();
    }
  });

  it('names an unknown host', async () => {
    const { logger, warnings } = capturingLogger();
    const agent = await startAgent({ config: testAgentConfig('mqtt://no-such-host.invalid:1883'), logger });
    try {
      await waitFor(() => warnings().length > 0, 'a warning about the unknown host', 15_000);
      expect(warnings()[0]!.msg).toMatch(/cannot reach the broker at mqtt:\/\/no-such-host\.invalid:1883: unknown host no-such-host\.invalid/);
    } finally {
      await agent.stop();
    }
  });

  it('during a long outage repeats the warning at most once per period, counting the attempts in between', async () => {
    const port = await freePort();
    const { logger, warnings } = capturingLogger();
    const config = testAgentConfig(`mqtt://127.0.0.1:${port}`);
    const link = new MqttLink({
      mqtt: config.mqtt,
      clientId: 'link-test',
      statusTopic: 'kots/v1/x/link-test/status',
      subscriptions: [],
      reconnectMinMs: 20,
      reconnectMaxMs: 50,
      logger,
      failureWarnEveryMs: 1_000,
      onUp: () => {},
      onDown: () => {},
      onMessage: () => {},
      onError: () => {},
    });
    link.start();
    await sleep(2_500);
    await link.stop();
    const lines = warnings();
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(4);
    expect(lines[1]!.msg).toMatch(/still cannot reach the broker at .*: connection refused.*; \d+ more failed attempts since the last warning/);
    expect(lines.at(-1)!.attempts).toBeGreaterThan(lines.length * 3);
  });
});
