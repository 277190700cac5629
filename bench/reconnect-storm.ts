/**
 * Reconnect storm: how long a fleet needs to be publishing again after the
 * bridge restarts, with every device logging in against the registry.
 *
 *   source scripts/servers/env.sh
 *   ulimit -n 65536
 *   npx tsx bench/reconnect-storm.ts [--devices 10000] [--scrypt-devices 200]
 *
 *  1. A registry of `devices` devices with the device hash (HMAC-SHA256) is
 *     written; the real `kots bridge` starts on it and every device connects
 *     and publishes one reading (PUBACK = in Kafka).
 *  2. The bridge is killed (SIGKILL) and started again. Every device retries
 *     like the agent does (0.5 s, doubling, with jitter) and, once back,
 *     publishes one reading. Reported: time from the restart (spawn, and the
 *     moment it answers /healthz) to the last device's PUBACK, and the
 *     percentiles. The restart itself is Node starting the CLI (tsx), which on
 *     a loaded machine takes seconds before the first login can happen.
 *  3. Reference in the same run: the same storm for `scrypt-devices` devices
 *     whose registry entries are scrypt hashes (the cost every device paid
 *     before), and that per-device cost extrapolated to `devices`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { generateCredential, hashCredential, hashDeviceCredential, writeRegistryFile } from '../bridge/registry/index.js';
import { makeReading } from '../test/helpers/readings.js';
import { benchArgs, bridgeEnv, kafkaCount, loadAverage, sleep, startBridgeProcess, stop, type BridgeProcess } from './helpers.js';

const args = benchArgs();
const DEVICES = Number(args.get('devices') ?? 10_000);
const SCRYPT_DEVICES = Number(args.get('scrypt-devices') ?? 200);
const CITY = 'takamatsu';

interface Credential {
  id: string;
  secret: string;
}

/** A device that keeps reconnecting (agent-like back-off) and publishes one reading per connection. */
class StormDevice {
  private socket: Socket | undefined;
  private attempt = 0;
  private stopped = false;
  /** performance.now() of the PUBACK of the reading published on the latest connection. */
  backAt: number | undefined;
  onBack: () => void = () => undefined;

  constructor(
    private readonly port: number,
    private readonly credential: Credential,
  ) {}

  start(): void {
    this.backAt = undefined;
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const socket = netConnect(this.port, '127.0.0.1');
    this.socket = socket;
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const { id, secret } = this.credential;
    parser.on('packet', (packet) => {
      if (packet.cmd === 'connack') {
        if (packet.returnCode !== 0) return socket.destroy();
        this.attempt = 0;
        const payload = JSON.stringify(makeReading({ device_id: id, city: { slug: CITY, name: 'Takamatsu' } }));
        socket.write(mqttPacket.generate({ cmd: 'publish', topic: `kots/v1/${CITY}/${id}/weather`, payload, qos: 1, messageId: 1, retain: false, dup: false }));
      } else if (packet.cmd === 'puback' && this.backAt === undefined) {
        this.backAt = performance.now();
        this.onBack();
      }
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.stopped || socket !== this.socket) return;
      // the agent's back-off: 0.5 s doubling to 30 s, with full jitter
      const delay = Math.random() * Math.min(30_000, 500 * 2 ** this.attempt++);
      setTimeout(() => this.connect(), delay);
    });
    socket.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: id,
        keepalive: 0,
        username: id,
        password: Buffer.from(secret),
      }),
    );
  }

  close(): void {
    this.stopped = true;
    this.socket?.destroy();
  }
}

async function registryFile(credentials: Credential[], hash: (secret: string) => Promise<string>): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'kots-storm-')), 'registry.yaml');
  const devices: Array<{ id: string; city: string; hash: string; revoked: boolean }> = [];
  for (const c of credentials) devices.push({ id: c.id, city: CITY, hash: await hash(c.secret), revoked: false });
  await writeRegistryFile(file, { devices, users: [] });
  return file;
}

/** Waits until every device has its PUBACK (or the timeout); returns the seconds each took from `since`. */
async function allBack(devices: StormDevice[], since: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (devices.some((d) => d.backAt === undefined) && Date.now() < deadline) await sleep(100);
  return devices.map((d) => (d.backAt === undefined ? Number.POSITIVE_INFINITY : (d.backAt - since) / 1000)).sort((a, b) => a - b);
}

interface StormResult {
  hash: string;
  devices: number;
  firstConnectSeconds: number;
  restartSeconds: number;
  backSeconds: number[];
  inKafka: number;
}

async function storm(hashName: string, count: number, hash: (secret: string) => Promise<string>): Promise<StormResult> {
  const credentials = Array.from({ length: count }, (_, i) => ({ id: `storm-${randomUUID().slice(0, 4)}-${i}`, secret: generateCredential() }));
  const env = await bridgeEnv({ KOTS_BRIDGE_REGISTRY_FILE: await registryFile(credentials, hash), KOTS_BRIDGE_MAX_CONNECTIONS: String(count + 100) });
  let bridge: BridgeProcess = await startBridgeProcess(env);
  const devices = credentials.map((c) => new StormDevice(bridge.port, c));
  try {
    let t0 = performance.now();
    for (let i = 0; i < devices.length; i += 500) {
      for (const d of devices.slice(i, i + 500)) d.start();
      await sleep(50);
    }
    const first = await allBack(devices, t0, 600_000);
    process.stdout.write(
      `  ${hashName}: ${count} devices connected and published in ${first.at(-1)!.toFixed(1)} s; killing the bridge (SIGKILL) and starting it again\n`,
    );
    await stop(bridge.child, 'SIGKILL');
    for (const d of devices) d.backAt = undefined;
    t0 = performance.now();
    bridge = await startBridgeProcess(env);
    const restartSeconds = (performance.now() - t0) / 1000;
    const back = await allBack(devices, t0, 600_000);
    const inKafka = await kafkaCount(bridge.weatherTopic);
    return { hash: hashName, devices: count, firstConnectSeconds: first.at(-1)!, restartSeconds, backSeconds: back, inKafka };
  } finally {
    for (const d of devices) d.close();
    await stop(bridge.child);
  }
}

const command = `npx tsx bench/reconnect-storm.ts --devices ${DEVICES} --scrypt-devices ${SCRYPT_DEVICES}`;
process.stdout.write(`${command}\n(load average ${loadAverage()}; ${new Date().toISOString()})\n`);
const fast = await storm('hmac-sha256', DEVICES, async (secret) => hashDeviceCredential(secret));
const slow = await storm('scrypt ln=14', SCRYPT_DEVICES, (secret) => hashCredential(secret));
const q = (r: StormResult, p: number) => r.backSeconds[Math.min(r.backSeconds.length - 1, Math.floor(p * r.backSeconds.length))]!;
process.stdout.write(`\n${command}\n(load average at the end ${loadAverage()} on ${cpus().length} cores; a shared machine: compare the rows of this run)\n`);
process.stdout.write(
  '| device hash | devices | first connect of all | bridge restart (spawn to /healthz) | back and published, from the spawn: p50 / p99 / all | all back, from /healthz | readings in Kafka (2 per device) |\n|---|---|---|---|---|---|---|\n',
);
for (const r of [fast, slow]) {
  process.stdout.write(
    `| ${r.hash} | ${r.devices} | ${r.firstConnectSeconds.toFixed(1)} s | ${r.restartSeconds.toFixed(1)} s | ${q(r, 0.5).toFixed(1)} / ${q(r, 0.99).toFixed(1)} / ${r.backSeconds.at(-1)!.toFixed(1)} s | ${(r.backSeconds.at(-1)! - r.restartSeconds).toFixed(1)} s | ${r.inKafka} |\n`,
  );
}
const perDevice = slow.backSeconds.at(-1)! / slow.devices;
process.stdout.write(
  `| scrypt ln=14, extrapolated | ${DEVICES} | | | all: about ${(perDevice * DEVICES).toFixed(0)} s (${(perDevice * 1000).toFixed(1)} ms a device, from the row above) | | |\n`,
);
process.exit(fast.backSeconds.at(-1)! - fast.restartSeconds <= 30 ? 0 : 1);
