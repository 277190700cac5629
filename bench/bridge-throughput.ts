/**
 * Bridge throughput and footprint, with Mosquitto as the reference, in one run.
 *
 *   source scripts/servers/env.sh
 *   ulimit -n 65536        # 10,000 connections need that many descriptors in this process and in each broker
 *   npx tsx bench/bridge-throughput.ts [--connections 10000] [--active 1000] [--seconds 20] [--inflight 1]
 *
 * For each broker:
 *  1. `connections` simulated devices connect (MQTT 3.1.1, anonymous; a light
 *     client built on mqtt-packet so the load generator stays small) and the
 *     broker's resident memory (VmRSS) is read before and after:
 *     (after - before) / connections = memory per connected device.
 *  2. `active` of them publish QoS 1 readings for `seconds`, each keeping
 *     `inflight` readings unacknowledged (a device waits for its PUBACK), so
 *     the rate is what the broker sustains; latency = publish -> PUBACK.
 *  3. Zero loss: every PUBACKed reading is counted where it should be: records
 *     in the Kafka topic (bridge), messages received by a plain QoS 1
 *     subscriber (Mosquitto).
 *
 * The bridge is the real `kots bridge` child process on the test Kafka
 * (fresh topics, 3 partitions); Mosquitto runs with its own config
 * (max_queued_messages 0, max_inflight_messages 0: no silent drops, no
 * in-flight cap). Everything shares this machine's cores with Kafka and the load
 * generator, so read the numbers as a comparison, not as a ceiling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { v7 as uuidv7 } from 'uuid';
import { hashCredential, verifyCredential } from '../bridge/registry/credentials.js';
import { KOTS_BIN } from '../test/helpers/processes.js';
import { makeReading } from '../test/helpers/readings.js';
import { freePort } from '../test/helpers/own-servers.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const CONNECTIONS = Number(args.get('connections') ?? 10_000);
const ACTIVE = Math.min(CONNECTIONS, Number(args.get('active') ?? 1000));
const SECONDS = Number(args.get('seconds') ?? 20);
const INFLIGHT = Number(args.get('inflight') ?? 1);
const KAFKA = (process.env.KOTS_TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (KAFKA.length === 0) throw new Error('KOTS_TEST_KAFKA_BROKERS is not set: source scripts/servers/env.sh');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;


/** One simulated device: a raw MQTT 3.1.1 connection that publishes QoS 1 and times each PUBACK. */
class Device {
  private readonly socket: Socket;
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private nextId = 1;
  private readonly sentAt = new Map<number, number>();
  private template: Record<string, unknown>;
  private seq = 0;
  onAck: (latencyMs: number) => void = () => undefined;
  readonly ready: Promise<void>;

  constructor(
    port: number,
    readonly id: string,
    readonly topic: string,
  ) {
    this.template = makeReading({ device_id: id, city: { slug: 'takamatsu', name: 'Takamatsu' } }) as Record<string, unknown>;
    this.socket = netConnect(port, '127.0.0.1');
    this.socket.setNoDelay(true);
    this.ready = new Promise((resolve, reject) => {
      this.parser.on('packet', (packet) => {
        if (packet.cmd === 'connack') (packet.returnCode === 0 ? resolve() : reject(new Error(`CONNACK ${packet.returnCode}`)));
        else if (packet.cmd === 'puback') {
          const started = this.sentAt.get(packet.messageId!);
          this.sentAt.delete(packet.messageId!);
          if (started !== undefined) this.onAck(performance.now() - started);
        }
      });
      this.socket.once('error', reject);
      this.socket.once('close', () => reject(new Error(`${id}: connection closed`)));
    });
    this.socket.on('data', (chunk) => this.parser.parse(chunk));
    this.socket.on('error', () => undefined);
    this.socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: id, keepalive: 0 }));
  }

  publish(): void {
    const messageId = this.nextId;
    this.nextId = (this.nextId % 65_535) + 1;
    const payload = JSON.stringify({ ...this.template, id: uuidv7(), seq: this.seq++ });
    this.sentAt.set(messageId, performance.now());
    this.socket.write(mqttPacket.generate({ cmd: 'publish', topic: this.topic, payload, qos: 1, messageId, retain: false, dup: false }));
  }

  close(): void {
    this.socket.destroy();
  }
}

async function connectAll(port: number, count: number, prefix: string): Promise<Device[]> {
  const devices: Device[] = [];
  const BATCH = 250;
  for (let i = 0; i < count; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, count - i) }, (_, k) => {
      const id = `${prefix}-${i + k}`;
      return new Device(port, id, `kots/v1/takamatsu/${id}/weather`);
    });
    await Promise.all(batch.map((d) => d.ready));
    devices.push(...batch);
  }
  return devices;
}

interface LoadResult {
  acked: number;
  ratePerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Closed loop: each active device keeps INFLIGHT readings unacknowledged for SECONDS. */
async function runLoad(devices: Device[]): Promise<LoadResult> {
  const latencies: number[] = [];
  let acked = 0;
  let running = true;
  let outstanding = 0;
  for (const d of devices) {
    d.onAck = (ms) => {
      acked++;
      outstanding--;
      latencies.push(ms);
      if (running) {
        outstanding++;
        d.publish();
      }
    };
  }
  const started = performance.now();
  for (const d of devices) for (let k = 0; k < INFLIGHT; k++) (outstanding++, d.publish());
  await sleep(SECONDS * 1000);
  running = false;
  const elapsed = (performance.now() - started) / 1000;
  const ackedInWindow = acked;
  const deadline = Date.now() + 60_000;
  while (outstanding > 0 && Date.now() < deadline) await sleep(100);
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { acked, ratePerSecond: ackedInWindow / elapsed, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies.at(-1) ?? 0 };
}

async function waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready`);
    await sleep(200);
  }
}

async function kafkaCount(topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'kots-bench', brokers: KAFKA, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

interface BrokerRun {
  name: string;
  idleRssMb: number;
  connectedRssMb: number;
  connectSeconds: number;
  load: LoadResult;
  delivered: number;
}

async function measure(name: string, pid: number, port: number, delivered: () => Promise<number>): Promise<BrokerRun> {
  await sleep(1000);
  const idleRssMb = rssMb(pid);
  const t0 = performance.now();
  const devices = await connectAll(port, CONNECTIONS, `bench-${name}-${randomUUID().slice(0, 6)}`);
  const connectSeconds = (performance.now() - t0) / 1000;
  await sleep(3000);
  const connectedRssMb = rssMb(pid);
  process.stdout.write(`  ${name}: ${CONNECTIONS} connected in ${connectSeconds.toFixed(1)} s; running ${ACTIVE} devices for ${SECONDS} s...\n`);
  const load = await runLoad(devices.slice(0, ACTIVE));
  let count = 0;
  const deadline = Date.now() + 30_000;
  while ((count = await delivered()) < load.acked && Date.now() < deadline) await sleep(500);
  for (const d of devices) d.close();
  return { name, idleRssMb, connectedRssMb, connectSeconds, load, delivered: count };
}

async function benchBridge(): Promise<BrokerRun> {
  const suffix = `bench-${Date.now().toString(36)}`;
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    KAFKA_BROKERS: KAFKA.join(','),
    KOTS_KAFKA_WEATHER_TOPIC: `weather-${suffix}`,
    KOTS_KAFKA_DEAD_LETTER_TOPIC: `weather.dlq-${suffix}`,
    KOTS_KAFKA_EVENTS_TOPIC: `surreal-events-${suffix}`,
    KOTS_KAFKA_PARTITIONS: '3',
    KOTS_BRIDGE_PORT: String(port),
    KOTS_BRIDGE_METRICS_PORT: String(metricsPort),
    KOTS_BRIDGE_MAX_CONNECTIONS: String(CONNECTIONS + 100),
    KOTS_LOG_LEVEL: 'warn',
  };
  // KOTS_BENCH_PROFILE=<dir>: write a V8 CPU profile of the bridge there (open it in Chrome DevTools).
  const profile = process.env.KOTS_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.KOTS_BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, KOTS_BIN, 'bridge'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    await waitHttp(`http://127.0.0.1:${metricsPort}/healthz`);
    const result = await measure('kots-bridge', child.pid!, port, () => kafkaCount(`weather-${suffix}`));
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    process.stdout.write(`  kots-bridge: Kafka produce latency p99 seen by the bridge ≤ ${histogramQuantile(metrics, 'kots_bridge_kafka_latency_ms', 0.99)} ms\n`);
    return result;
  } finally {
    await stop(child);
  }
}

/** The upper bound of the histogram bucket holding quantile q (Prometheus text format). */
function histogramQuantile(text: string, name: string, q: number): string {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
  const total = buckets.at(-1)?.n ?? 0;
  return buckets.find((b) => b.n >= q * total)?.le ?? '?';
}

async function benchMosquitto(): Promise<BrokerRun> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'kots-bench-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_queued_messages 0', // the default 1000 silently drops messages for a subscriber that falls behind
      'max_inflight_messages 0',
      'max_connections -1',
      'persistence false',
      'log_type error',
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      '',
    ].join('\n'),
  );
  const child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    await sleep(500);
    let received = 0;
    const subscriber = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-subscriber', protocolVersion: 4, clean: true });
    await new Promise<void>((resolve, reject) => {
      subscriber.once('connect', () => subscriber.subscribe('kots/v1/+/+/weather', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
      subscriber.once('error', reject);
    });
    subscriber.on('message', () => received++);
    const result = await measure('mosquitto', child.pid!, port, async () => received);
    await subscriber.endAsync(true);
    return result;
  } finally {
    await stop(child);
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

async function scryptCost(): Promise<number> {
  const hash = await hashCredential('bench-device-secret');
  const started = performance.now();
  const n = 20;
  for (let i = 0; i < n; i++) await verifyCredential('bench-device-secret', hash);
  return (performance.now() - started) / n;
}

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const command = `npx tsx bench/bridge-throughput.ts --connections ${CONNECTIONS} --active ${ACTIVE} --seconds ${SECONDS} --inflight ${INFLIGHT}`;
process.stdout.write(`${command}\n(ulimit -n ${process.env.ULIMIT_N ?? '?'}; load average ${loadAverage()}; ${new Date().toISOString()})\n`);
const runs = [await benchBridge(), await benchMosquitto()];
const verifyMs = await scryptCost();
process.stdout.write(`\n${command}\n(load average at the end ${loadAverage()} on ${(await import('node:os')).cpus().length} cores)\n`);
process.stdout.write(`| broker | connections | RSS idle | RSS connected | per device | connect time | QoS 1 readings/s (${ACTIVE} devices, ${INFLIGHT} in flight each) | PUBACK p50 / p90 / p99 / max ms | PUBACKed | delivered | lost |\n|---|---|---|---|---|---|---|---|---|---|---|\n`);
for (const r of runs) {
  const perDeviceKb = ((r.connectedRssMb - r.idleRssMb) * 1024) / CONNECTIONS;
  process.stdout.write(
    `| ${r.name} | ${CONNECTIONS} | ${r.idleRssMb.toFixed(0)} MB | ${r.connectedRssMb.toFixed(0)} MB | ${perDeviceKb.toFixed(1)} KB | ${r.connectSeconds.toFixed(1)} s | ${r.load.ratePerSecond.toFixed(0)} | ${r.load.p50.toFixed(1)} / ${r.load.p90.toFixed(1)} / ${r.load.p99.toFixed(1)} / ${r.load.max.toFixed(0)} | ${r.load.acked} | ${r.delivered}${r.name === 'kots-bridge' ? ' in Kafka' : ' at subscriber'} | ${Math.max(0, r.load.acked - r.delivered)} |\n`,
  );
}
process.stdout.write(`\nscrypt credential check (default cost ln=14,r=8,p=1): ${verifyMs.toFixed(1)} ms each on one core; a reconnect storm of ${CONNECTIONS} authenticated devices costs about ${((verifyMs * CONNECTIONS) / 1000 / 4).toFixed(0)} s with libuv's 4 threads (CPU permitting).\n`);
process.exit(0);
