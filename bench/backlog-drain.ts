/**
 * Catch-up: one real agent (`kots agent`, MQTT 5, default settings) comes back
 * with a spool of `backlog` readings and drains it through the real
 * `kots bridge` (default limits) into Kafka, and through `kots up` (embedded
 * bridge, in-process bus, local lake: a PUBACK there means the reading is in a
 * Parquet file). Reference in the same run: the same agent and spool draining
 * into Mosquitto (counted at a subscriber).
 *
 *   source scripts/servers/env.sh
 *   npx tsx bench/backlog-drain.ts [--backlog 10000]
 *
 * Rate = backlog / (time of the last reading's arrival - time of the first),
 * from Kafka's record timestamps (bridge), the raw Parquet files' times and
 * offset ranges in their names (`kots up`), or the subscriber's clock
 * (Mosquitto); the wall time from starting the agent is printed too. The
 * order check reads `weather` back: within the device's partition, a
 * reading's seq must be above every seq before it (a reconnect may re-send,
 * which shows as a duplicate, never as a gap).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { DiskSpool } from '../agent/spool.js';
import { KOTS_BIN } from '../test/helpers/processes.js';
import { makeReading } from '../test/helpers/readings.js';
import { freePort } from '../test/helpers/own-servers.js';
import { readTopic } from '../test/bridge/helpers.js';
import { benchArgs, bridgeEnv, bridgeProducerClient, KAFKA, kafkaCount, loadAverage, sleep, startBridgeProcess, startMosquitto, stop } from './helpers.js';

const args = benchArgs();
const BACKLOG = Number(args.get('backlog') ?? 10_000);
const DEVICE = 'backlog-1';
const CITY = { slug: 'takamatsu', name: 'Takamatsu' };

/** A spool holding BACKLOG readings, as an agent leaves it after a long time offline. */
function filledSpool(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'kots-backlog-')), 'spool');
  const spool = DiskSpool.open(dir, { maxBytes: 64 * 1024 * 1024 });
  const start = Date.parse('2026-11-20T00:00:00Z');
  for (let done = 0; done < BACKLOG; done += 1000) {
    spool.append(
      (seq) => JSON.stringify(makeReading({ device_id: DEVICE, city: CITY, seq, observed_at: new Date(start + seq * 10_000).toISOString() })),
      Math.min(1000, BACKLOG - done),
    );
  }
  spool.close();
  return dir;
}

/** Runs `kots agent` on the spool against `url` until `arrived()` reaches BACKLOG; returns the wall seconds. */
async function drain(url: string, arrived: () => Promise<number>): Promise<number> {
  const config = join(mkdtempSync(join(tmpdir(), 'kots-backlog-agent-')), 'kots.yaml');
  writeFileSync(
    config,
    stringify({
      log: { level: 'warn' },
      mqtt: { url, protocolVersion: 5 },
      agent: {
        deviceId: DEVICE,
        city: { name: CITY.name, slug: CITY.slug, country: 'JP', lat: 34.3428, lon: 134.0466, timezone: 32400 },
        source: 'simulated',
        // the device is back but takes no new reading while it catches up (one at start at most)
        intervalMinSeconds: 3600,
        intervalMaxSeconds: 3600,
        spoolDir: filledSpool(),
      },
    }),
  );
  const started = performance.now();
  const agent = spawn(process.execPath, [KOTS_BIN, 'agent', '--config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  try {
    const deadline = Date.now() + 600_000;
    while ((await arrived()) < BACKLOG && Date.now() < deadline) await sleep(200);
    return (performance.now() - started) / 1000;
  } finally {
    await stop(agent);
  }
}

interface DrainResult {
  broker: string;
  wallSeconds: number;
  drainSeconds: number;
  distinct: number;
  duplicates: number;
  outOfOrder: number;
}

async function throughBridge(): Promise<DrainResult> {
  const bridge = await startBridgeProcess(await bridgeEnv());
  try {
    const wallSeconds = await drain(`mqtt://127.0.0.1:${bridge.port}`, () => kafkaCount(bridge.weatherTopic));
    // one device, one city key: one partition, in offset order
    const records = await readTopic(KAFKA, bridge.weatherTopic, await kafkaCount(bridge.weatherTopic));
    const times = records.map((r) => r.timestamp);
    const seqs = records.map((r) => (JSON.parse(r.value.toString()) as { seq: number }).seq);
    return { broker: 'kots bridge -> Kafka', wallSeconds, drainSeconds: (Math.max(...times) - Math.min(...times)) / 1000, ...orderOf(seqs) };
  } finally {
    await stop(bridge.child);
  }
}

function orderOf(seqs: number[]): { distinct: number; duplicates: number; outOfOrder: number } {
  const seen = new Set<number>();
  let duplicates = 0;
  let outOfOrder = 0;
  let highest = -1;
  for (const seq of seqs) {
    if (seen.has(seq)) duplicates++;
    else if (seq < highest) outOfOrder++;
    seen.add(seq);
    highest = Math.max(highest, seq);
  }
  return { distinct: seen.size, duplicates, outOfOrder };
}

/** Readings in the local lake's raw files of the backlog's city, and the first and last file times (ms). */
function lakeFiles(lake: string): { count: number; first: number; last: number } {
  let count = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const root = join(lake, 'raw', 'weather');
  if (!existsSync(root)) return { count, first, last };
  for (const day of readdirSync(root)) {
    const folder = join(root, day, `city=${CITY.slug}`);
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)) {
      const offsets = /-(\d+)-(\d+)\.parquet$/.exec(name);
      if (!offsets) continue;
      count += Number(offsets[2]) - Number(offsets[1]) + 1;
      const time = statSync(join(folder, name)).mtimeMs;
      first = Math.min(first, time);
      last = Math.max(last, time);
    }
  }
  return { count, first, last };
}

async function throughKotsUp(): Promise<DrainResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kots-backlog-up-'));
  const port = await freePort();
  const lake = join(dir, 'lake');
  // No simulated agents of kots up's own: the lake holds only the backlog.
  const up = spawn(process.execPath, [KOTS_BIN, 'up'], {
    env: {
      ...process.env,
      KOTS_CONFIG: '',
      KOTS_BRIDGE_PORT: String(port),
      KOTS_LAKE_PATH: lake,
      KOTS_UP_STATE_DIR: join(dir, 'state'),
      KOTS_UP_CITIES: '[]',
      KOTS_LOG_LEVEL: 'warn',
      KOTS_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const deadline = Date.now() + 120_000;
    while (!(await portOpen(port)) && Date.now() < deadline) await sleep(200);
    const wallSeconds = await drain(`mqtt://127.0.0.1:${port}`, async () => lakeFiles(lake).count);
    const { count, first, last } = lakeFiles(lake);
    return {
      broker: 'kots up (embedded bridge -> lake)',
      wallSeconds,
      drainSeconds: (last - first) / 1000,
      distinct: count,
      duplicates: Number.NaN,
      outOfOrder: Number.NaN,
    };
  } finally {
    await stop(up);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function throughMosquitto(): Promise<DrainResult> {
  const { child, port } = await startMosquitto();
  try {
    const seqs: number[] = [];
    let first = 0;
    let last = 0;
    const subscriber = mqtt.connect(`mqtt://127.0.0.1:${port}`, { clientId: 'bench-subscriber', protocolVersion: 4, clean: true });
    await new Promise<void>((resolve, reject) => {
      subscriber.once('connect', () => subscriber.subscribe('kots/v1/+/+/weather', { qos: 1 }, (e) => (e ? reject(e) : resolve())));
      subscriber.once('error', reject);
    });
    subscriber.on('message', (_topic, payload) => {
      last = performance.now();
      if (seqs.length === 0) first = last;
      seqs.push((JSON.parse(payload.toString()) as { seq: number }).seq);
    });
    const wallSeconds = await drain(`mqtt://127.0.0.1:${port}`, async () => seqs.length);
    await subscriber.endAsync(true);
    return { broker: 'Mosquitto (relay to a subscriber)', wallSeconds, drainSeconds: (last - first) / 1000, ...orderOf(seqs) };
  } finally {
    await stop(child);
  }
}

const command = `npx tsx bench/backlog-drain.ts --backlog ${BACKLOG}`;
process.stdout.write(`${command}\n(bridge producer ${bridgeProducerClient()}; load average ${loadAverage()}; ${new Date().toISOString()})\n`);
const runs = [await throughBridge(), await throughKotsUp(), await throughMosquitto()];
process.stdout.write(`\n${command}\n(load average at the end ${loadAverage()} on ${cpus().length} cores; a shared machine: compare the rows of this run)\n`);
process.stdout.write(
  '| one agent, default settings, into | backlog | drained in (first to last arrival) | readings/s | wall time from agent start | distinct seqs | duplicates | out of order |\n|---|---|---|---|---|---|---|---|\n',
);
for (const r of runs) {
  const unknown = (n: number) => (Number.isNaN(n) ? '(not read back)' : String(n));
  process.stdout.write(
    `| ${r.broker} | ${BACKLOG} | ${r.drainSeconds.toFixed(1)} s | ${(BACKLOG / r.drainSeconds).toFixed(0)} | ${r.wallSeconds.toFixed(1)} s | ${r.distinct} | ${unknown(r.duplicates)} | ${unknown(r.outOfOrder)} |\n`,
  );
}
process.exit(BACKLOG / runs[0]!.drainSeconds >= 1000 && BACKLOG / runs[1]!.drainSeconds >= 1000 ? 0 : 1);
