/**
 * `kots dashboard` on its own, as deployed beside a secured bridge and Kafka:
 * logins and the MQTT subscription both go through the bridge's registry
 * (an operator logs in to the page; the page reads the fleet as a read-only
 * `dashboard` user), and surreal events come from the Kafka events topic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge, type BridgeHandle } from '../../bridge/index.js';
import { hashCredential } from '../../bridge/registry/credentials.js';
import { writeRegistryFile } from '../../bridge/registry/registry.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import type { KotsConfig } from '../../core/config/index.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { startDashboard, type DashboardHandle } from '../../dashboard/index.js';
import { makeReading } from '../helpers/readings.js';
import { waitFor } from '../helpers/processes.js';
import { testConfig, uniqueName, servers } from '../helpers/servers.js';

const COST = { ln: 10, r: 8, p: 1 };
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function securedSetup(extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kots-dashboard-standalone-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const registryFile = join(dir, 'registry.yaml');
  await writeRegistryFile(registryFile, {
    devices: [{ id: 'pi-kochi-1', city: 'kochi', hash: await hashCredential('device-secret-1', COST) }],
    users: [
      { name: 'ops', role: 'operator', hash: await hashCredential('operator-secret', COST) },
      { name: 'wall-screen', role: 'dashboard', hash: await hashCredential('reader-secret', COST) },
    ],
  });
  const config: KotsConfig = testConfig(
    {},
    {
      'lake.path': join(dir, 'lake'),
      'bridge.port': 0,
      'bridge.registryFile': registryFile,
      'dashboard.port': 0,
      'dashboard.mqttUsername': 'wall-screen',
      'dashboard.mqttPassword': 'reader-secret',
      'consumer.batchMaxAgeMs': 200,
      'log.level': 'silent',
      ...extra,
    },
  );
  const bus = await InProcessBus.open({ lake: openLake(config.lake), config, logger: silentLogger });
  const bridge: BridgeHandle = await startBridge({ config, sink: bus, logger: silentLogger });
  cleanups.push(() => bus.close());
  cleanups.push(() => bridge.close());
  return { config, bridge, brokerUrl: `mqtt://127.0.0.1:${bridge.listeners.port}` };
}

async function login(url: string, username: string, password: string): Promise<Response> {
  return fetch(new URL('/api/login', url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
}

describe('standalone dashboard with the bridge registry', () => {
  it('reads the fleet as a read-only dashboard user; only operators log in to the page', async () => {
    const { config, brokerUrl } = await securedSetup();
    const dashboard: DashboardHandle = await startDashboard({ config: { ...config, dashboard: { ...config.dashboard, brokerUrl } }, logger: silentLogger });
    cleanups.push(() => dashboard.close());

    const device = await mqtt.connectAsync(brokerUrl, { clientId: 'pi-kochi-1', username: 'pi-kochi-1', password: 'device-secret-1', protocolVersion: 4 });
    cleanups.push(() => device.endAsync());
    await device.publishAsync('kots/v1/kochi/pi-kochi-1/status', 'online', { qos: 1, retain: true });
    const reading = makeReading({ device_id: 'pi-kochi-1', city: { slug: 'kochi', name: 'Kochi' }, observed_at: new Date().toISOString() });
    await device.publishAsync('kots/v1/kochi/pi-kochi-1/weather', JSON.stringify(reading), { qos: 1 });

    const tile = await waitFor('the reading on the dashboard', async () => dashboard.state.snapshot().cities.find((c) => c.slug === 'kochi' && c.current));
    expect(tile).toMatchObject({ name: 'Kochi', devices: { online: 1, total: 1 }, current: { tempC: 12 } });

    // The page's login: operators yes, the dashboard's own MQTT identity and wrong passwords no.
    expect((await login(dashboard.url, 'wall-screen', 'reader-secret')).status).toBe(401);
    expect((await login(dashboard.url, 'ops', 'wrong-password')).status).toBe(401);
    expect((await login(dashboard.url, 'pi-kochi-1', 'device-secret-1')).status).toBe(401);
    const ok = await login(dashboard.url, 'ops', 'operator-secret');
    expect(ok.status).toBe(200);
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^kots_session=[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    const snapshot = await (await fetch(new URL('/api/snapshot', dashboard.url), { headers: { cookie: cookie.split(';')[0]! } })).text();
    expect(snapshot).toContain('pi-kochi-1');
    expect(snapshot).not.toMatch(/device-secret|\$scrypt\$|reader-secret/);
  });

  it('refuses to start without a registry to check logins against', async () => {
    const config = testConfig({}, { 'dashboard.port': 0, 'log.level': 'silent' });
    await expect(startDashboard({ config, logger: silentLogger })).rejects.toThrow(/no registry to check logins against.*bridge\.registryFile/);
  });

  it("follows surreal events on the Kafka events topic (records produced by the test in the consumer's format)", async () => {
    const eventsTopic = uniqueName('surreal-events');
    const { config, brokerUrl } = await securedSetup({
      'kafka.brokers': servers.kafkaBrokers,
      'kafka.eventsTopic': eventsTopic,
      'kafka.weatherTopic': uniqueName('weather'),
      'kafka.deadLetterTopic': uniqueName('dlq'),
    });
    const kafka = createKafka(config.kafka, silentLogger);
    await ensureTopics(kafka, config.kafka);
    const dashboard = await startDashboard({ config: { ...config, dashboard: { ...config.dashboard, brokerUrl } }, logger: silentLogger });
    cleanups.push(() => dashboard.close());
    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    // The dashboard starts at the end of the topic: send until its group has joined and one arrives.
    let n = 0;
    const event = await waitFor('an event from Kafka on the dashboard', async () => {
      const readingId = `01a212f5-0000-7000-8000-${String(++n).padStart(12, '0')}`;
      const alert = {
        readingId,
        city: 'kochi',
        cityName: 'Kochi',
        deviceId: 'pi-kochi-1',
        observedAt: new Date().toISOString(),
        localTime: '2026-11-25T22:00:00',
        eventId: 8,
        eventName: 'The Music of the Wind',
        newsflash: 'Gale-force gusts.',
      };
      await producer.send({
        topic: eventsTopic,
        messages: [
          { key: 'kochi', value: 'not an alert' },
          { key: 'kochi', value: JSON.stringify(alert) },
        ],
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      return dashboard.state.snapshot().events[0];
    });
    expect(event).toMatchObject({ city: 'kochi', eventName: 'The Music of the Wind' });
    expect(dashboard.state.snapshot().cities.find((c) => c.slug === 'kochi')?.latestEvent?.eventName).toBe('The Music of the Wind');
  });

  it('ends sessions and open event streams within seconds when a user is revoked, demoted or given a new password; others stay', async () => {
    const { config, brokerUrl } = await securedSetup();
    const registryFile = config.bridge.registryFile!;
    const hashes = Object.fromEntries(
      await Promise.all(['rotated', 'revoked', 'demoted', 'kept'].map(async (name) => [name, await hashCredential(`${name}-secret`, COST)] as const)),
    );
    const device = { id: 'pi-kochi-1', city: 'kochi', hash: await hashCredential('device-secret-1', COST) };
    const reader = { name: 'wall-screen', role: 'dashboard' as const, hash: await hashCredential('reader-secret', COST) };
    await writeRegistryFile(registryFile, {
      devices: [device],
      users: [reader, ...Object.entries(hashes).map(([name, hash]) => ({ name, role: 'operator' as const, hash }))],
    });
    const dashboard = await startDashboard({ config: { ...config, dashboard: { ...config.dashboard, brokerUrl } }, logger: silentLogger });
    cleanups.push(() => dashboard.close());

    const sessions = new Map<string, { cookie: string; ended: Promise<number> }>();
    for (const name of Object.keys(hashes)) {
      const ok = await waitFor(`${name} logged in`, async () => {
        const response = await login(dashboard.url, name, `${name}-secret`);
        return response.status === 200 && response;
      });
      const cookie = ok.headers.get('set-cookie')!.split(';')[0]!;
      const stream = await fetch(new URL('/api/stream', dashboard.url), { headers: { cookie } });
      expect(stream.status).toBe(200);
      const body = stream.body!.getReader();
      // Resolves with the time the server ended the stream.
      const ended = (async () => {
        while (!(await body.read()).done);
        return Date.now();
      })();
      cleanups.push(() => body.cancel().catch(() => undefined));
      sessions.set(name, { cookie, ended });
    }
    const session = async (name: string) => (await fetch(new URL('/api/session', dashboard.url), { headers: { cookie: sessions.get(name)!.cookie } })).status;
    for (const name of sessions.keys()) expect(await session(name)).toBe(200);

    const changedAt = Date.now();
    await writeRegistryFile(registryFile, {
      devices: [device],
      users: [
        reader,
        { name: 'rotated', role: 'operator', hash: await hashCredential('rotated-new-secret', COST) },
        { name: 'revoked', role: 'operator', hash: hashes.revoked!, revoked: true },
        { name: 'demoted', role: 'dashboard', hash: hashes.demoted! },
        { name: 'kept', role: 'operator', hash: hashes.kept! },
      ],
    });
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 10_000));
    for (const name of ['rotated', 'revoked', 'demoted']) {
      const endedAt = await Promise.race([sessions.get(name)!.ended, timeout]);
      expect(endedAt - changedAt, `${name}'s event stream should end within seconds`).toBeLessThan(8_000);
      expect(await session(name), `${name}'s session`).toBe(401);
    }
    expect(await session('kept')).toBe(200);
    expect(await Promise.race([sessions.get('kept')!.ended.then(() => 'ended'), new Promise((resolve) => setTimeout(() => resolve('open'), 1500))])).toBe(
      'open',
    );
  });
});
