/**
 * Bridge throughput and footprint, with Mosquitto as the reference, in one run.
 *
 *   source scripts/servers/env.sh
 *   ulimit -n 65536        # 10,000 connections need that many descriptors in this process and in each broker
 *   npx tsx bench/bridge-throughput.ts [--connections 10000] [--active 1000] [--seconds 20] [--inflight 1] [--paced 0.5]
 *
 * For each broker:
 *  1. `connections` simulated devices connect (MQTT 3.1.1, anonymous; a light
 *     client built on mqtt-packet so the load generator stays small) and the
 *     broker's resident memory (VmRSS) is read before and after, each once the
 *     broker is idle (RSS steady for 3 s; no forced GC):
 *     (after - before) / connections = memory per connected device.
 *  2. `active` of them publish QoS 1 readings for `seconds`, each keeping
 *     `inflight` readings unacknowledged (a device waits for its PUBACK), so
 *     the rate is what the broker sustains; latency = publish -> PUBACK.
 *  3. Paced: the same devices publish at a steady `paced` x Mosquitto's measured
 *     maximum rate (open loop, spread evenly), and the PUBACK latency at that
 *     load is reported for both brokers.
 *  4. Zero loss: every PUBACKed reading is counted where it should be: records
 *     in the Kafka topic (bridge), messages received by a plain QoS 1
 *     subscriber (Mosquitto).
 *
 * The bridge is the real `kots bridge` child process on the test Kafka
 * (fresh topics, 3 partitions); Mosquitto runs with its own config
 * (max_queued_messages 0, max_inflight_messages 0: no silent drops, no
 * in-flight cap). Everything shares this machine's cores with Kafka and the load
 * generator, so read the numbers as a comparison, not as a ceiling.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { v7 as uuidv7 } from 'uuid';
import { makeReading } from '../test/helpers/readings.js';
import {
  benchArgs,
  bridgeEnv,
  bridgeProducerClient,
  cpuMs,
  histogramQuantile,
  kafkaCount,
  loadAverage,
  settledRssMb,
  sleep,
  startBridgeProcess,
  startMosquitto,
  stop,
} from './helpers.js';

const args = benchArgs();
const CONNECTIONS = Number(args.get('connections') ?? 10_000);
const ACTIVE = Math.min(CONNECTIONS, Number(args.get('active') ?? 1000));
const SECONDS = Number(args.get('seconds') ?? 20);
const INFLIGHT = Number(args.get('inflight') ?? 1);
const PACED = Number(args.get('paced') ?? 0.5);

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
        if (packet.cmd === 'connack') packet.returnCode === 0 ? resolve() : reject(new Error(`CONNACK ${packet.returnCode}`));
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

function summarise(latencies: number[], acked: number, ratePerSecond: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { acked, ratePerSecond, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: latencies.at(-1) ?? 0 };
}

/** Waits (up to a minute) for the PUBACKs still outstanding once the load stopped. */
async function settle(outstanding: () => number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (outstanding() > 0 && Date.now() < deadline) await sleep(100);
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
  for (const d of devices) {
    for (let k = 0; k < INFLIGHT; k++) {
      outstanding++;
      d.publish();
    }
  }
  await sleep(SECONDS * 1000);
  running = false;
  const rate = acked / ((performance.now() - started) / 1000);
  await settle(() => outstanding);
  return summarise(latencies, acked, rate);
}

/** Open loop: the devices publish `rate` readings/s in total, evenly spread, whatever the PUBACKs do. */
async function runPaced(devices: Device[], rate: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let acked = 0;
  let outstanding = 0;
  for (const d of devices) {
    d.onAck = (ms) => {
      acked++;
      outstanding--;
      latencies.push(ms);
    };
  }
  const started = performance.now();
  let sent = 0;
  let next = 0;
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) {
      outstanding++;
      devices[next]!.publish();
      next = (next + 1) % devices.length;
    }
  }, 5);
  await sleep(SECONDS * 1000);
  clearInterval(tick);
  const achieved = acked / ((performance.now() - started) / 1000);
  await settle(() => outstanding);
  return summarise(latencies, acked, achieved);
}

interface BrokerRun {
  name: string;
  idleRssMb: number;
  connectedRssMb: number;
  connectSeconds: number;
  load: LoadResult;
  /** CPU time of the broker process per 1,000 readings of the closed loop. */
  cpuMsPer1000: number;
  paced?: LoadResult;
  delivered: number;
}

/** Connects CONNECTIONS devices, runs the closed loop, then (when `pacedRate` is known) the paced load. */
async function measure(name: string, pid: number, port: number, delivered: () => Promise<number>, pacedRate: (ownMax: number) => number): Promise<BrokerRun> {
  const idleRssMb = await settledRssMb(pid);
  const t0 = performance.now();
  const devices = await connectAll(port, CONNECTIONS, `bench-${name}-${randomUUID().slice(0, 6)}`);
  const connectSeconds = (performance.now() - t0) / 1000;
  const connectedRssMb = await settledRssMb(pid);
  process.stdout.write(`  ${name}: ${CONNECTIONS} connected in ${connectSeconds.toFixed(1)} s; running ${ACTIVE} devices for ${SECONDS} s...\n`);
  const cpuBefore = cpuMs(pid);
  const load = await runLoad(devices.slice(0, ACTIVE));
  const cpuMsPer1000 = (cpuMs(pid) - cpuBefore) / (load.acked / 1000);
  process.stdout.write(`  ${name}: ${load.ratePerSecond.toFixed(0)} readings/s at most\n`);
  const rate = pacedRate(load.ratePerSecond);
  await sleep(1000);
  process.stdout.write(`  ${name}: paced at ${rate.toFixed(0)} readings/s for ${SECONDS} s...\n`);
  const paced = await runPaced(devices.slice(0, ACTIVE), rate);
  const expected = load.acked + paced.acked;
  const deadline = Date.now() + 30_000;
  let count = await delivered();
  while (count < expected && Date.now() < deadline) {
    await sleep(500);
    count = await delivered();
  }
  for (const d of devices) d.close();
  return { name, idleRssMb, connectedRssMb, connectSeconds, load, cpuMsPer1000, paced, delivered: count };
}

async function benchBridge(pacedRate: number): Promise<BrokerRun> {
  const bridge = await startBridgeProcess(await bridgeEnv({ KOTS_BRIDGE_MAX_CONNECTIONS: String(CONNECTIONS + 100) }));
  try {
    const result = await measure(
      'kots-bridge',
      bridge.child.pid!,
      bridge.port,
      () => kafkaCount(bridge.weatherTopic),
      () => pacedRate,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${bridge.metricsPort}/metrics`)).text();
    process.stdout.write(
      `  kots-bridge: Kafka produce latency p99 seen by the bridge ≤ ${histogramQuantile(metrics, 'kots_bridge_kafka_latency_ms', 0.99)} ms\n`,
    );
    return result;
  } finally {
    await stop(bridge.child);
  }
}

async function benchMosquitto(): Promise<BrokerRun> {
  const { child, port } = await startMosquitto();
  try {
    let received = 0;
    const subscriber = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-subscriber', protocolVersion: 4, clean: true });
    await new Promise<void>((resolve, reject) => {
      subscriber.once('connect', () => subscriber.subscribe('kots/v1/+/+/weather', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
      subscriber.once('error', reject);
    });
    subscriber.on('message', () => received++);
    const result = await measure(
      'mosquitto',
      child.pid!,
      port,
      async () => received,
      (ownMax) => ownMax * PACED,
    );
    await subscriber.endAsync(true);
    return result;
  } finally {
    await stop(child);
  }
}

const command = `npx tsx bench/bridge-throughput.ts --connections ${CONNECTIONS} --active ${ACTIVE} --seconds ${SECONDS} --inflight ${INFLIGHT} --paced ${PACED}`;
process.stdout.write(
  `${command}\n(ulimit -n ${process.env.ULIMIT_N ?? '?'}; bridge producer ${bridgeProducerClient()}; load average ${loadAverage()}; ${new Date().toISOString()})\n`,
);
// Mosquitto first: its maximum rate sets the paced load of both brokers (PACED x that rate).
const mosquitto = await benchMosquitto();
const bridge = await benchBridge(mosquitto.load.ratePerSecond * PACED);
const runs = [bridge, mosquitto];
process.stdout.write(
  `\n${command}\n(bridge producer ${bridgeProducerClient()}; load average at the end ${loadAverage()} on ${(await import('node:os')).cpus().length} cores; a shared machine: compare the two rows of this run, not runs of different times)\n`,
);
process.stdout.write(
  `| broker | connections | RSS idle | RSS connected | per device | connect time | QoS 1 readings/s (${ACTIVE} devices, ${INFLIGHT} in flight each) | PUBACK p50 / p90 / p99 / max ms | broker CPU ms / 1,000 readings | paced at ${PACED} x Mosquitto's max: readings/s, PUBACK p50 / p99 ms | PUBACKed | delivered | lost |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n`,
);
for (const r of runs) {
  const perDeviceKb = ((r.connectedRssMb - r.idleRssMb) * 1024) / CONNECTIONS;
  const acked = r.load.acked + (r.paced?.acked ?? 0);
  process.stdout.write(
    `| ${r.name} | ${CONNECTIONS} | ${r.idleRssMb.toFixed(0)} MB | ${r.connectedRssMb.toFixed(0)} MB | ${perDeviceKb.toFixed(1)} KB | ${r.connectSeconds.toFixed(1)} s | ${r.load.ratePerSecond.toFixed(0)} | ${r.load.p50.toFixed(1)} / ${r.load.p90.toFixed(1)} / ${r.load.p99.toFixed(1)} / ${r.load.max.toFixed(0)} | ${r.cpuMsPer1000.toFixed(0)} | ${r.paced?.ratePerSecond.toFixed(0)}, ${r.paced?.p50.toFixed(1)} / ${r.paced?.p99.toFixed(1)} | ${acked} | ${r.delivered}${r.name === 'kots-bridge' ? ' in Kafka' : ' at subscriber'} | ${Math.max(0, acked - r.delivered)} |\n`,
  );
}
process.stdout.write(
  `\nbridge / Mosquitto QoS 1 rate: ${(bridge.load.ratePerSecond / mosquitto.load.ratePerSecond).toFixed(2)}x; bridge PUBACK p99 at ${(mosquitto.load.ratePerSecond * PACED).toFixed(0)} readings/s (${PACED} x Mosquitto's max): ${bridge.paced?.p99.toFixed(1)} ms\n`,
);
process.exit(0);
