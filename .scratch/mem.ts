// Scratch: memory per idle connection of the in-process bridge (stub sink), heap snapshot optional.
import { writeHeapSnapshot } from 'node:v8';
import { startBridge } from '../bridge/index.js';
import { testConfig } from '../test/helpers/servers.js';
import { silentLogger } from '../core/log.js';

const N = Number(process.argv[2] ?? 2000);
const config = testConfig({}, { 'bridge.port': 0, 'bridge.maxConnections': N + 100 });
const sink = { sendReadings: async () => {}, sendDeadLetters: async () => {}, close: async () => {} };
const bridge = await startBridge({ config, sink, logger: silentLogger, registrySource: null });
const port = bridge.listeners.port;
const gc = () => { (globalThis as any).gc?.(); (globalThis as any).gc?.(); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
await sleep(500); gc();
if (process.env.SNAP) writeHeapSnapshot(process.env.SNAP + '.0');
gc();
const before = process.memoryUsage();
const { fork } = await import('node:child_process');
const child = fork(new URL('./clients.ts', import.meta.url).pathname, [String(port), String(N)], { execArgv: ['--import', 'tsx'] });
await new Promise((r) => child.once('message', r));
await sleep(2000); gc();
const after = process.memoryUsage();
const kb = (a: number, b: number) => ((a - b) / 1024 / N).toFixed(2);
console.log(`N=${N} heapUsed/conn ${kb(after.heapUsed, before.heapUsed)} KB, external ${kb(after.external, before.external)} KB, arrayBuffers ${kb(after.arrayBuffers, before.arrayBuffers)} KB, rss ${kb(after.rss, before.rss)} KB`);
if (process.env.SNAP) console.log(writeHeapSnapshot(process.env.SNAP));
child.kill(); process.exit(0);
