/**
 * Footprint of the single-binary agent (x64): file size, gzip size, and the
 * resident memory of an idle agent after it connected to a broker. A
 * benchmark, not a test: it prints numbers for agent/README.md.
 *
 *   npx tsx bench/agent-footprint.ts            (builds the x64 binary if needed)
 *
 * Memory is read from /proc/<pid>/status (VmRSS) after the agent announced
 * itself online and sat idle for a few seconds (readings every hour, so none
 * is taken). Measured twice: with V8's defaults, and with the small-heap
 * NODE_OPTIONS suggested for small devices in the README.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { buildAgentBinaries } from '../agent/build/build.js';
import { startTestBroker, waitFor } from '../test/agent/broker.js';
import { tempDir } from '../test/agent/config.js';

const IDLE_MS = 5000;
export const SMALL_HEAP_OPTIONS = '--max-old-space-size=24 --max-semi-space-size=1';

function vmRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kb / 1024;
}

async function idleRss(binary: string, nodeOptions: string | undefined): Promise<number> {
  const broker = await startTestBroker();
  const dir = tempDir('kots-bench-');
  const deviceId = `bench-${Date.now()}`;
  const configFile = join(dir, 'agent.yaml');
  writeFileSync(configFile, stringify({
    log: { level: 'warn' },
    mqtt: { url: broker.url, protocolVersion: 4 },
    agent: { deviceId, city: { name: 'Takamatsu', lat: 34.34, lon: 134.05 }, intervalMinSeconds: 3600, intervalMaxSeconds: 3600, spoolDir: join(dir, 'spool') },
  }));
  const env = { ...process.env };
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  else delete env.NODE_OPTIONS;
  const child = spawn(binary, ['--config', configFile], { stdio: 'ignore', env });
  try {
    await waitFor(() => broker.received.some((m) => m.clientId === deviceId && m.topic.endsWith('/status') && m.payload === 'online'), 'the agent online', 30_000);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    return vmRss(child.pid!);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await broker.close();
  }
}

const [binary] = await buildAgentBinaries(['linux-x64']);
const bytes = statSync(binary!).size;
const gzipped = gzipSync(readFileSync(binary!), { level: 6 }).length;
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
const defaults = await idleRss(binary!, undefined);
const small = await idleRss(binary!, SMALL_HEAP_OPTIONS);
console.log(`kots-agent-linux-x64 (Node ${process.version} SEA)`);
console.log(`  size:                 ${mb(bytes)} MiB`);
console.log(`  gzip -6:              ${mb(gzipped)} MiB`);
console.log(`  idle RSS, connected:  ${defaults.toFixed(1)} MiB (V8 defaults)`);
console.log(`  idle RSS, connected:  ${small.toFixed(1)} MiB (NODE_OPTIONS="${SMALL_HEAP_OPTIONS}")`);
