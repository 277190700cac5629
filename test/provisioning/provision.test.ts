/**
 * A two-city fleet end to end on the real servers: provision into a folder,
 * run the bridge on the produced registry with a Kafka sink, run the produced
 * x64 bundle's agent binary with its produced config, see its readings in
 * Kafka; status and remote settings through the broker; revoke cuts the agent
 * off for good; rotate makes the old credential fail and the new one work.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startBridge, type BridgeHandle } from '../../bridge/index.js';
import { KafkaReadingSink } from '../../bridge/kafka-sink.js';
import { loadRegistry, verifyCredential } from '../../bridge/registry/index.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { silentLogger } from '../../core/log.js';
import { elfMachine } from '../../provisioning/binaries.js';
import { fleetStatus, setRemoteSettings } from '../../provisioning/operate.js';
import { provisionFleet, revokeDevice, rotateDevice } from '../../provisioning/provision.js';
import { readState } from '../../provisioning/state.js';
import { waitFor } from '../helpers/processes.js';
import { freePort } from '../helpers/own-servers.js';
import { servers, testEnvironment, uniqueName } from '../helpers/servers.js';
import { agentBinaries, fleetContext, installBundle, readEnvFile, tempDir, writeManifest } from './helpers.js';

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const agentLogs = new Map<ChildProcess, () => string>();

function runAgent(bundleDir: string, spoolDir: string): ChildProcess {
  const env = readEnvFile(join(bundleDir, 'rootfs/etc/kots/agent.env'));
  const child = spawn(join(bundleDir, 'rootfs/usr/local/bin/kots-agent'), ['--config', join(bundleDir, 'rootfs/etc/kots/agent.yaml')], {
    // The config says /var/lib/kots-agent/spool (systemd's StateDirectory); a test keeps it in its own folder.
    env: { PATH: process.env.PATH ?? '', ...env, KOTS_AGENT_SPOOL_DIR: spoolDir, KOTS_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  agentLogs.set(child, () => log);
  cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  return child;
}

/** Is a client with this id connected to the bridge right now? */
function connected(bridge: BridgeHandle, clientId: string): unknown {
  return bridge.server.clients.get(clientId);
}

async function tryConnect(port: number, username: string, password: string): Promise<'connected' | string> {
  try {
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: username, username, password, reconnectPeriod: 0, connectTimeout: 5000 });
    await client.endAsync();
    return 'connected';
  } catch (error) {
    return String((error as { code?: number }).code ?? (error as Error).message);
  }
}

describe('kots fleet provision on real Kafka, the bridge and the agent binary', () => {
  it('two cities: readings arrive; status and config work; revoke cuts the agent off; rotate swaps the credential', { timeout: 240_000 }, async () => {
    const binaries = await agentBinaries(['linux-x64', 'linux-arm64']);
    const dir = tempDir('e2e');
    const stateDir = join(dir, 'state');
    const out = join(dir, 'out');
    const port = await freePort();
    const env = testEnvironment('unused-bucket', uniqueName('fleet'));
    const ctx = fleetContext(env, {
      'fleet.stateDir': stateDir,
      'fleet.agentBinaryDir': binaries,
      'bridge.port': port,
      'bridge.registryFile': join(stateDir, 'registry.yaml'),
      'bridge.registryReloadSeconds': 0.2,
    });
    const manifest = writeManifest(dir, {
      version: 1,
      name: 'two-cities',
      broker: { url: `mqtt://127.0.0.1:${port}` },
      cities: [
        {
          name: 'Takamatsu',
          country: 'JP',
          lat: 34.34,
          lon: 134.05,
          devices: [{ target: 'linux-x64', interval: { min: 0.2, max: 0.4 }, healthIntervalSeconds: 1 }],
        },
        { name: 'Reykjavik', openweather: 'Reykjavik,IS', devices: [{ id: 'reykjavik-roof', target: 'linux-arm64', source: 'simulated' }] },
      ],
    });

    const report = await provisionFleet(ctx, manifest, { delivery: { kind: 'out', dir: out } });
    expect(report.devices.map((d) => [d.id, d.credential, d.error])).toEqual([
      ['takamatsu-1', 'new', undefined],
      ['reykjavik-roof', 'new', undefined],
    ]);
    for (const id of ['takamatsu-1', 'reykjavik-roof']) expect(statSync(join(out, `kots-agent-${id}.tar.gz`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'fleet-state.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    // One binary per target beside the bundles, not one per device.
    const payloads = readdirSync(join(out, 'binaries')).sort();
    expect(payloads).toEqual([expect.stringMatching(/^linux-arm64-/), expect.stringMatching(/^linux-x64-/)]);
    expect(elfMachine(join(out, 'binaries', payloads[0]!, 'rootfs/usr/local/bin/kots-agent'))).toEqual({ machine: 'aarch64', bits: 64 });

    // Re-running changes nothing: same identities, same credentials, same registry hashes.
    const registryBefore = readFileSync(join(stateDir, 'registry.yaml'), 'utf8');
    const again = await provisionFleet(ctx, manifest, {});
    expect(again.devices.map((d) => d.credential)).toEqual(['kept', 'kept']);
    expect(readFileSync(join(stateDir, 'registry.yaml'), 'utf8')).toBe(registryBefore);

    const kafka = createKafka(ctx.config.kafka, silentLogger);
    await ensureTopics(kafka, ctx.config.kafka);
    const sink = await KafkaReadingSink.connect({
      kafka,
      weatherTopic: ctx.config.kafka.weatherTopic,
      deadLetterTopic: ctx.config.kafka.deadLetterTopic,
      logger: silentLogger,
    });
    cleanups.push(() => sink.close());
    const bridge: BridgeHandle = await startBridge({ config: ctx.config, sink, logger: silentLogger });
    cleanups.push(() => bridge.close());
    expect(bridge.registry()?.size.devices).toBe(2);

    const seen: Array<{ device: string; seq: number }> = [];
    const consumer: Consumer = new Kafka({ clientId: 'fleet-test', brokers: servers.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({
      groupId: uniqueName('fleet-test'),
    });
    await consumer.connect();
    cleanups.push(() => consumer.disconnect());
    await consumer.subscribe({ topic: ctx.config.kafka.weatherTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => void seen.push(((r) => ({ device: r.device_id, seq: r.seq }))(JSON.parse(message.value!.toString()))),
    });

    const bundle = installBundle(out, 'takamatsu-1');
    const oldSecret = readEnvFile(join(bundle, 'rootfs/etc/kots/agent.env')).KOTS_MQTT_PASSWORD!;
    const agent = runAgent(bundle, join(dir, 'spool'));
    await waitFor('3 readings of takamatsu-1 in Kafka', async () => seen.filter((s) => s.device === 'takamatsu-1').length >= 3, 60_000);

    const status = await fleetStatus(ctx, 1.5);
    const row = status.find((s) => s.id === 'takamatsu-1')!;
    expect(row.state).toBe('online');
    expect(row.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(row.spoolDepth).toBeTypeOf('number');
    expect(row.lastReading).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(status.find((s) => s.id === 'reykjavik-roof')!.state).toBe('unknown');

    await setRemoteSettings(ctx, 'takamatsu-1', ['healthIntervalSeconds=0.5', 'intervalMaxSeconds=0.3']);
    await waitFor(
      'the agent applying the remote settings',
      async () => (await fleetStatus(ctx, 1)).find((s) => s.id === 'takamatsu-1')?.settingsOrigin === 'remote',
      20_000,
    );
    expect(readState(stateDir)!.devices['takamatsu-1']!.remoteSettings).toEqual({ healthIntervalSeconds: 0.5, intervalMaxSeconds: 0.3 });

    await revokeDevice(ctx, 'takamatsu-1');
    await waitFor('the bridge cutting takamatsu-1 off', async () => connected(bridge, 'takamatsu-1') === undefined, 10_000);
    const countAtRevoke = seen.filter((s) => s.device === 'takamatsu-1').length;
    expect(await tryConnect(port, 'takamatsu-1', oldSecret)).toBe('5'); // CONNACK 5: not authorized (revoked)
    await new Promise((r) => setTimeout(r, 3000)); // the agent keeps retrying with back-off
    expect(connected(bridge, 'takamatsu-1'), 'the revoked agent got back in').toBeUndefined();
    expect(agent.exitCode).toBeNull(); // still running and retrying (systemd would keep it so too)
    expect(seen.filter((s) => s.device === 'takamatsu-1').length).toBe(countAtRevoke);

    const rotated = await rotateDevice(ctx, 'takamatsu-1', { kind: 'out', dir: out });
    expect(rotated.devices).toMatchObject([{ id: 'takamatsu-1', credential: 'rotated' }]);
    const newBundle = installBundle(out, 'takamatsu-1');
    const newSecret = readEnvFile(join(newBundle, 'rootfs/etc/kots/agent.env')).KOTS_MQTT_PASSWORD!;
    expect(newSecret).not.toBe(oldSecret);
    const entry = (await loadRegistry(join(stateDir, 'registry.yaml'))).device('takamatsu-1')!;
    expect(entry.revoked).toBe(false);
    expect(await verifyCredential(newSecret, entry.hash)).toBe(true);
    expect(entry.hash).toMatch(/^\$hmac-sha256\$/); // a rotated device moves to the fast keyed hash
    await waitFor('the bridge to load the rotated registry', async () => bridge.registry()?.device('takamatsu-1')?.hash === entry.hash, 10_000);
    expect(await tryConnect(port, 'takamatsu-1', oldSecret)).toBe('4'); // bad user name or password
    expect(await tryConnect(port, 'takamatsu-1', newSecret)).toBe('connected');

    // The old agent cannot come back with the old credential; the new bundle's agent resumes (same spool).
    agent.kill('SIGKILL');
    const renewed = runAgent(newBundle, join(dir, 'spool'));
    await waitFor('readings again after rotation', async () => seen.filter((s) => s.device === 'takamatsu-1').length >= countAtRevoke + 3, 90_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}; agent log: ${agentLogs.get(renewed)!()}`);
      },
    );
  });
});
