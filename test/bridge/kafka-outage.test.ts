/**
 * Kafka stopped for 30 s in the middle of a stream from several devices (once per producer client): the
 * bridge stops acknowledging (the agents keep readings in their spools), says
 * so on /healthz, and once Kafka is back every reading is in `weather`.
 * Runs its OWN Kafka (scripts/servers functions, own ports and data folder)
 * so the shared one is never stopped.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAgent, type AgentHandle } from '../../agent/index.js';
import { capturingLogger } from '../helpers/logs.js';
import { waitFor } from '../helpers/processes.js';
import { freePort, readTopic, startTestBridge, type TestBridge } from './helpers.js';

const run = promisify(execFile);
const scripts = () => {
  const dir = process.env.KOTS_SERVERS_SCRIPTS;
  if (!dir) throw new Error('KOTS_SERVERS_SCRIPTS is not set: source scripts/servers/env.sh');
  return dir;
};

let kafkaEnv: Record<string, string>;
let brokers: string[];
const kafka = (action: 'start' | 'stop') => run('bash', [join(scripts(), `${action}.sh`), 'kafka'], { env: { ...process.env, ...kafkaEnv }, timeout: 150_000 });

beforeAll(async () => {
  const [port, controllerPort] = [await freePort(), await freePort()];
  kafkaEnv = {
    KOTS_STATE: mkdtempSync(join(tmpdir(), 'kots-own-kafka-')),
    KOTS_KAFKA_PORT: String(port),
    KOTS_KAFKA_CONTROLLER_PORT: String(controllerPort),
    KOTS_KAFKA_HEAP: '-Xms128m -Xmx384m',
    KOTS_STOP_TIMEOUT: '30',
  };
  brokers = [`127.0.0.1:${port}`];
  // start.sh draws a random cluster id; one starting with "-" is taken for an option by kafka-storage (1 in 64): draw again.
  await kafka('start').catch(async (error: Error) => {
    if (!/cluster-id/.test(error.message)) throw error;
    rmSync(join(kafkaEnv.KOTS_STATE!, 'kafka', 'data'), { recursive: true, force: true });
    await kafka('start');
  });
}, 160_000);

afterAll(async () => {
  if (!kafkaEnv) return;
  await kafka('stop').catch(() => undefined);
  rmSync(kafkaEnv.KOTS_STATE!, { recursive: true, force: true });
}, 60_000);

const CITIES = [
  { name: 'Takamatsu', country: 'JP', lat: 34.34, lon: 134.05, timezone: 32400 },
  { name: 'Reykjavik', country: 'IS', lat: 64.15, lon: -21.94, timezone: 0 },
  { name: 'Cairo', country: 'EG', lat: 30.04, lon: 31.24, timezone: 7200 },
  { name: 'Lima', country: 'PE', lat: -12.05, lon: -77.04, timezone: -18000 },
];
const READINGS_EACH = 120;

// Both producer clients: librdkafka (message.timeout.ms 0 holds the records) and kafkajs (the sink retries).
it.each(['librdkafka', 'kafkajs'] as const)(
  '%s: every reading is in `weather` after Kafka was stopped for 30 s mid-stream',
  // One retry: the librdkafka run hung once in about ten full-suite runs (readings never acknowledged
  // after Kafka came back; never reproduced alone or under CPU load, root cause open, see issue 13's
  // note). The bounded wait below makes such a run fail with where the readings were, cleans up, and
  // the retry shows whether it recovers; a bridge that loses readings fails both runs.
  { timeout: 240_000, retry: 1 },
  async (producerClient) => {
    let t: TestBridge | undefined;
    const agents: AgentHandle[] = [];
    try {
      const { logger, logged } = capturingLogger<{ msg: string; level: number }>('info');
      t = await startTestBridge({ brokers, producerClient, logger, overrides: { 'bridge.metricsPort': 0 } });
      expect(t.producerClient).toBe(producerClient);
      const { config } = t;
      const spoolRoot = mkdtempSync(join(tmpdir(), 'kots-outage-spool-'));
      for (const [i, city] of CITIES.entries()) {
        const deviceId = `outage-dev-${i + 1}`;
        agents.push(
          await startAgent({
            config: {
              ...config,
              mqtt: { ...config.mqtt, url: t.url, protocolVersion: i % 2 === 0 ? 4 : 5 },
              agent: {
                ...config.agent,
                deviceId,
                city,
                source: 'simulated',
                intervalMinSeconds: 0.2,
                intervalMaxSeconds: 0.4,
                spoolDir: join(spoolRoot, deviceId),
                seed: 11 + i,
              },
            },
            maxReadings: READINGS_EACH,
          }),
        );
      }
      const health = () => fetch(`http://127.0.0.1:${t!.bridge.metricsServer!.port}/healthz`).then((r) => r.status);
      await waitFor('the stream under way', async () => agents.every((a) => a.stats().acked >= 10) || undefined, 30_000);

      await kafka('stop');
      const stoppedAt = Date.now();
      await waitFor('/healthz reporting Kafka down', async () => (await health()) === 503 || undefined, 30_000);
      const ackedDuringOutage = agents.reduce((n, a) => n + a.stats().acked, 0);
      await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - stoppedAt))));
      // nothing was acknowledged while Kafka was away (at most what was already on its way when it stopped)
      expect(agents.reduce((n, a) => n + a.stats().acked, 0) - ackedDuringOutage).toBeLessThanOrEqual(0);
      expect(agents.some((a) => a.stats().spooled > 0)).toBe(true);
      await kafka('start');

      const drained = Promise.all(
        agents.map(async (a) => {
          await a.finished;
          await a.drained();
        }),
      );
      // Bounded, so that a hang says where the readings are instead of hitting the test's timeout.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const where = {
            agents: agents.map((a) => a.stats()),
            sink: (t?.sink as { status?: unknown } | undefined)?.status,
            bridgeLog: logged.filter((line) => line.level >= 40).map((line) => line.msg),
          };
          reject(new Error(`agents not drained 120 s after Kafka came back: ${JSON.stringify(where)}`));
        }, 120_000);
      });
      await Promise.race([drained, stuck]).finally(() => clearTimeout(timer));
      expect(agents.map((a) => [a.stats().taken, a.stats().spooled, a.stats().dropped])).toEqual(CITIES.map(() => [READINGS_EACH, 0, 0]));
      expect(await health()).toBe(200);
      const records = await readTopic(brokers, config.kafka.weatherTopic, READINGS_EACH * CITIES.length, 60_000);
      // Every reading each device took, by its per-device counter (a re-sent one may be there twice: at least once).
      const seqs = new Map<string, Set<number>>();
      for (const r of records) {
        const reading = JSON.parse(r.value.toString()) as { device_id: string; seq: number };
        if (!seqs.has(reading.device_id)) seqs.set(reading.device_id, new Set());
        seqs.get(reading.device_id)!.add(reading.seq);
      }
      expect([...seqs.keys()].sort()).toEqual(agents.map((a) => a.deviceId).sort());
      for (const device of seqs.values()) expect(device.size).toBe(READINGS_EACH);
      expect(new Set(records.map((r) => JSON.parse(r.value.toString()).id as string)).size).toBe(READINGS_EACH * CITIES.length);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
      await t?.close();
    }
  },
);
