/** What the bridge benches share: the real `kots bridge` and Mosquitto as child processes, Kafka counts, timing. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { chooseProducerClient } from '../bridge/kafka-producer.js';
import { kafkaSection } from '../core/config/kafka.js';
import { KOTS_BIN } from '../test/helpers/processes.js';
import { freePort } from '../test/helpers/own-servers.js';

export const KAFKA = (process.env.KOTS_TEST_KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (KAFKA.length === 0) throw new Error('KOTS_TEST_KAFKA_BROKERS is not set: source scripts/servers/env.sh');

/** The city keys the Kafka benches spread their records over. */
export const BENCH_CITIES = ['takamatsu', 'cairo', 'kochi', 'oslo', 'lima', 'perth', 'quito', 'sapporo'];

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
/** CPU time (user + system, ms) a process has used so far, from /proc (all its threads). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100/s)
}
/**
 * Resident memory once the process is idle: sampled every second until three samples in a row are within 1 %
 * (at most `maxSeconds`), so a figure is never read in the middle of a burst (a scavenge, a late socket).
 * Nothing forces a GC: the figure is what the process really holds.
 */
export async function settledRssMb(pid: number, maxSeconds = 20): Promise<number> {
  const samples = [rssMb(pid)];
  for (let i = 0; i < maxSeconds; i++) {
    await sleep(1000);
    samples.push(rssMb(pid));
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) <= 0.01 * Math.min(...last)) break;
  }
  return samples.at(-1)!;
}
/** The Kafka client a `kots bridge` child started by these benches produces with (KOTS_KAFKA_PRODUCER_CLIENT, default auto). */
export const bridgeProducerClient = () => chooseProducerClient(kafkaSection.parse({ producerClient: process.env.KOTS_KAFKA_PRODUCER_CLIENT ?? 'auto' }));
export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** `--name value` pairs of the command line. */
export function benchArgs(): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
  return args;
}

export async function waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready`);
    await sleep(100);
  }
}

export function kafkaAdmin() {
  return new Kafka({ clientId: 'kots-bench', brokers: KAFKA, logLevel: logLevel.NOTHING }).admin();
}

/** Records in a topic (sum of its partitions' end offsets). */
export async function kafkaCount(topic: string): Promise<number> {
  const admin = kafkaAdmin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

export interface BridgeProcess {
  child: ChildProcess;
  port: number;
  metricsPort: number;
  weatherTopic: string;
  env: Record<string, string>;
}

/** Fresh topic names and the environment of a `kots bridge` child on the test Kafka. */
export async function bridgeEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const suffix = `bench-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  return {
    KAFKA_BROKERS: KAFKA.join(','),
    KOTS_KAFKA_WEATHER_TOPIC: `weather-${suffix}`,
    KOTS_KAFKA_DEAD_LETTER_TOPIC: `weather.dlq-${suffix}`,
    KOTS_KAFKA_EVENTS_TOPIC: `surreal-events-${suffix}`,
    KOTS_KAFKA_PARTITIONS: '3',
    KOTS_BRIDGE_PORT: String(await freePort()),
    KOTS_BRIDGE_METRICS_PORT: String(await freePort()),
    KOTS_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** Starts the real `kots bridge` (as a device would meet it) and waits until /healthz answers. */
export async function startBridgeProcess(env: Record<string, string>): Promise<BridgeProcess> {
  // KOTS_BENCH_PROFILE=<dir>: write a V8 CPU profile of the bridge there (open it in Chrome DevTools).
  // KOTS_BENCH_BRIDGE_NODE_FLAGS='--max-semi-space-size=64': Node/V8 flags for the bridge, to compare runtime settings.
  const profile = process.env.KOTS_BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', process.env.KOTS_BENCH_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, ...(process.env.KOTS_BENCH_BRIDGE_NODE_FLAGS ?? '').split(' ').filter(Boolean), KOTS_BIN, 'bridge'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const metricsPort = Number(env.KOTS_BRIDGE_METRICS_PORT);
  await waitHttp(`http://127.0.0.1:${metricsPort}/healthz`);
  return { child, port: Number(env.KOTS_BRIDGE_PORT), metricsPort, weatherTopic: env.KOTS_KAFKA_WEATHER_TOPIC!, env };
}

/** Mosquitto as the reference broker: no silent drops (max_queued_messages 0), no in-flight cap. */
export async function startMosquitto(): Promise<{ child: ChildProcess; port: number }> {
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
  await sleep(500);
  return { child, port };
}

/** The upper bound of the histogram bucket holding quantile q (Prometheus text format). */
export function histogramQuantile(text: string, name: string, q: number): string {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
  const total = buckets.at(-1)?.n ?? 0;
  return buckets.find((b) => b.n >= q * total)?.le ?? '?';
}
