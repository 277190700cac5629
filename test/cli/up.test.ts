/**
 * `kots up` with no settings at all (what `npm start` runs): readings arrive
 * within 30 s, Ctrl-C flushes, and `kots sql` counts exactly what was written.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { bareEnvironment as freshEnvironment, KOTS_BIN, waitFor } from '../helpers/processes.js';
import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { subscribeCodes } from '../bridge/helpers.js';

const run = promisify(execFile);

/** A fresh machine's environment, the broker on a free port. */
function bareEnvironment(): NodeJS.ProcessEnv {
  return { ...freshEnvironment(), KOTS_BRIDGE_PORT: '0' };
}

/** `kots up` in a fresh folder; `output()` is what it printed so far. */
function startUp() {
  const cwd = mkdtempSync(join(tmpdir(), 'kots-up-'));
  const env = bareEnvironment();
  const child = spawn(process.execPath, [KOTS_BIN, 'up'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout.on('data', (d: Buffer) => (printed += d.toString()));
  child.stderr.on('data', (d: Buffer) => (printed += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { cwd, env, child, exited, output: () => printed };
}

describe('kots up', () => {
  it('shows readings arriving within 30 s, flushes on Ctrl-C, and kots sql counts them', async () => {
    const { cwd, env, child, exited, output } = startUp();
    const started = Date.now();
    try {
      // Group commit writes the first readings within milliseconds: wait until every city has some.
      const everyCityWritten = () => {
        const last = [...output().matchAll(/written [1-9]\d*[^\n\r]*│([^\n\r]*)/g)].at(-1);
        return last !== undefined && last[1]!.split(' · ').length === 8;
      };
      await waitFor('a summary line with readings of all 8 cities written', async () => everyCityWritten(), 30_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n${output()}`);
    }
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(output()).toMatch(/bus in-process \(no Kafka configured\)/);
    expect(output()).toMatch(/8 simulated agents in 8 cities/);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output()).toMatch(/everything acknowledged is in the lake/);
    const summaries = [...output().matchAll(/in (\d+) · written (\d+)/g)];
    const [, received, written] = summaries.at(-1)!;
    expect(Number(written)).toBeGreaterThan(0);
    // Every reading the bridge received was written before exit: nothing acknowledged was left in memory.
    expect(Number(written)).toBe(Number(received));

    const { stdout } = await run(process.execPath, [KOTS_BIN, 'sql', '--format', 'csv', 'select count(*) as n, count(distinct city) as cities from readings'], {
      cwd,
      env,
    });
    expect(stdout.trim().split('\n')).toEqual(['n,cities', `${written},8`]);
  });

  it('names the setting to change when the broker port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const cwd = mkdtempSync(join(tmpdir(), 'kots-up-busy-'));
      const failure = await run(process.execPath, [KOTS_BIN, 'up'], { cwd, env: { ...bareEnvironment(), KOTS_BRIDGE_PORT: String(port) } }).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      // A setting to change: a user error, exit 2.
      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toContain(`kots: bridge.port: 127.0.0.1:${port} is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("stays anonymous on 127.0.0.1 only: an anonymous client may not subscribe to # or to the devices' readings, and 0.0.0.0 refuses to start", async () => {
    const { cwd, env, child, exited, output } = startUp();
    try {
      const url = await waitFor('the broker address', async () => /broker (mqtt:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1], 30_000);
      await waitFor('readings flowing', async () => /written [1-9]\d*/.test(output()), 30_000);
      const client = await mqtt.connectAsync(url, { clientId: 'curious-neighbour', protocolVersion: 4, reconnectPeriod: 0 });
      const received: string[] = [];
      client.on('message', (topic) => received.push(topic));
      const filters = ['#', 'kots/v1/#', 'kots/v1/+/+/weather', 'kots/v1/takamatsu/sim-takamatsu-1/weather', 'kots/v1/takamatsu/sim-takamatsu-1/status'];
      expect(await subscribeCodes(client, filters, 0)).toEqual(filters.map(() => 128));
      // Agents publish every few seconds: a refused subscription must see none of it.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(received).toEqual([]);
      await client.endAsync();
    } finally {
      child.kill('SIGINT');
      await exited;
    }

    const refused = await run(process.execPath, [KOTS_BIN, 'up', '--no-agents'], { cwd, env: { ...env, KOTS_BRIDGE_HOST: '0.0.0.0' } }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused?.code).toBe(2);
    expect(refused?.stderr.trim()).toMatch(/^kots: bridge\.registryFile: [^\n]+$/);
  });
});
