/**
 * Store-and-forward across a crash: the agent runs as its own process, the
 * broker goes away, the agent keeps spooling, gets SIGKILLed, and a new agent
 * process on the same spool delivers everything once the broker is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startTestBroker, waitFor, type ReceivedMessage, type TestBroker } from './broker.js';
import { tempDir } from './config.js';
import { firstArrivals } from './order.js';

const children: ChildProcess[] = [];
let broker: TestBroker | undefined;
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await broker?.close();
  broker = undefined;
});

function spawnAgent(configFile: string, extra: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['bin/kots.js', 'agent', '--config', configFile, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGKILL') process.stderr.write(`agent exited ${code ?? signal}: ${stderr.slice(-2000)}\n`);
  });
  children.push(child);
  return child;
}

/** Seqs written to the spool segments (what the killed agent had taken). */
function spooledSeqs(spoolDir: string): number[] {
  return readdirSync(spoolDir)
    .filter((name) => name.endsWith('.seg'))
    .flatMap((name) => readFileSync(join(spoolDir, name), 'utf8').split('\n').filter(Boolean))
    .map((line) => (JSON.parse(line) as { seq: number }).seq);
}

const weatherSeqs = (received: ReceivedMessage[]) =>
  received.filter((m) => m.topic.endsWith('/weather')).map((m) => (JSON.parse(m.payload) as { seq: number }).seq);

describe('agent process crash during a broker outage', () => {
  it('loses no reading: SIGKILL while offline, restart, all readings arrive in order', async () => {
    const received: ReceivedMessage[] = [];
    broker = await startTestBroker(0, received);
    const port = broker.port;
    const dir = tempDir();
    const spoolDir = join(dir, 'spool');
    const configFile = join(dir, 'agent.yaml');
    writeFileSync(
      configFile,
      stringify({
        log: { level: 'warn' },
        mqtt: { url: broker.url, protocolVersion: 4 },
        agent: {
          deviceId: 'crash-test',
          city: { name: 'Reykjavik', lat: 64.1466, lon: -21.9426 },
          intervalMinSeconds: 0.02,
          intervalMaxSeconds: 0.04,
          reconnectMinSeconds: 0.05,
          reconnectMaxSeconds: 0.3,
          spoolDir,
        },
      }),
    );

    const first = spawnAgent(configFile);
    await waitFor(() => weatherSeqs(received).length >= 5, 'readings before the outage', 30_000);
    await broker.close();
    const deliveredBefore = Math.max(...weatherSeqs(received));
    await waitFor(() => spooledSeqs(spoolDir).filter((s) => s > deliveredBefore).length >= 15, 'readings spooled during the outage');
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const takenBeforeCrash = Math.max(...spooledSeqs(spoolDir));
    expect(takenBeforeCrash).toBeGreaterThanOrEqual(deliveredBefore + 15);

    broker = await startTestBroker(port, received);
    const second = spawnAgent(configFile, ['--count', '5']);
    const exitCode = await new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
    expect(exitCode).toBe(0);

    // aedes emits 'publish' just after it wrote the PUBACK the agent exited on.
    await waitFor(() => new Set(weatherSeqs(received)).size >= takenBeforeCrash + 5, 'every reading at the broker', 5000).catch(() => {});
    const arrivals = firstArrivals(weatherSeqs(received));
    // Everything the first process took, then the second one's five readings, each seq once in arrival order.
    expect(arrivals).toEqual(Array.from({ length: takenBeforeCrash + 5 }, (_, i) => i + 1));
  });
});
