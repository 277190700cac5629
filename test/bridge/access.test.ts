/**
 * Authentication and ACLs of the embedded broker, with mqtt.js (3.1.1 and 5)
 * and Mosquitto's own mosquitto_pub / mosquitto_sub as independent clients,
 * on real Kafka.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertDevice, writeRegistryFile, type RegistryInput } from '../../bridge/registry/index.js';
import { deviceTopic } from '../../core/topics.js';
import { makeReading } from '../helpers/readings.js';
import { waitFor } from '../helpers/processes.js';
import { servers } from '../helpers/servers.js';
import { closed, connectClient, publish, readTopic, registryOf, startTestBridge, subscribeCodes, topicCount, type TestBridge } from './helpers.js';

const run = promisify(execFile);

const devices = [
  { id: 'dev-a', city: 'takamatsu', secret: 'secret-of-dev-a' },
  { id: 'dev-b', city: 'cairo', secret: 'secret-of-dev-b' },
  { id: 'dev-c', city: 'cairo', secret: 'secret-of-dev-c' },
  { id: 'dev-old', city: 'cairo', secret: 'secret-of-dev-old', revoked: true },
];
const users = [
  { name: 'grafana', role: 'dashboard' as const, secret: 'dashboard-secret' },
  { name: 'ops', role: 'operator' as const, secret: 'operator-secret' },
];

const reading = (id: string, city: string, seq = 0) => JSON.stringify(makeReading({ device_id: id, city: { slug: city, name: city }, seq }));

let t: TestBridge;
let registry: RegistryInput;

beforeAll(async () => {
  registry = await registryOf(devices, users);
  t = await startTestBridge({ registry });
});
afterAll(async () => t?.close());

const login = (id: string, secret: string, protocolVersion: 4 | 5 = 4, clientId = id) =>
  connectClient(t.url, { clientId, username: id, password: secret, protocolVersion });

describe('authentication', () => {
  it('refuses a wrong password with CONNACK "bad username or password" (3.1.1: 4, 5: 0x86)', async () => {
    await expect(login('dev-a', 'not-the-secret', 4)).rejects.toMatchObject({ code: 4 });
    await expect(login('dev-a', 'not-the-secret', 5)).rejects.toMatchObject({ code: 0x86 });
  });

  it('refuses an unknown device the same way, and a client without credentials', async () => {
    await expect(login('dev-nobody', 'whatever-secret')).rejects.toMatchObject({ code: 4 });
    await expect(connectClient(t.url, { clientId: 'dev-a', protocolVersion: 4 })).rejects.toMatchObject({ code: 4 });
  });

  it('refuses a revoked device and a client id that is not the device id', async () => {
    await expect(login('dev-old', 'secret-of-dev-old')).rejects.toMatchObject({ code: 5 });
    await expect(login('dev-a', 'secret-of-dev-a', 4, 'dev-b')).rejects.toMatchObject({ code: 2 });
  });

  it("closes a device's live connection when the registry file revokes it, and refuses it afterwards", async () => {
    const client = await login('dev-c', 'secret-of-dev-c');
    const gone = closed(client, 10_000);
    const revoked = upsertDevice(registry, { ...registry.devices!.find((d) => d.id === 'dev-c')!, revoked: true });
    await writeRegistryFile(t.registryFile!, revoked);
    expect(await gone).toBe(true);
    await expect(login('dev-c', 'secret-of-dev-c')).rejects.toMatchObject({ code: 5 });
    expect(t.bridge.metrics.refusedByReason.get('revoked_live')).toBeGreaterThanOrEqual(1);
    // removing a device works the same way
    const b = await login('dev-b', 'secret-of-dev-b');
    const bGone = closed(b);
    await writeRegistryFile(t.registryFile!, { ...revoked, devices: revoked.devices!.filter((d) => d.id !== 'dev-b') });
    expect(await bGone).toBe(true);
    await expect(login('dev-b', 'secret-of-dev-b')).rejects.toMatchObject({ code: 4 });
    await writeRegistryFile(t.registryFile!, registry);
    await waitFor(
      'dev-b admitted again',
      async () =>
        (await login('dev-b', 'secret-of-dev-b').then(
          (c) => {
            c.end(true);
            return true;
          },
          () => false,
        )) || undefined,
      10_000,
    );
  });
});

describe('authorisation', () => {
  it("accepts a device's own reading (3.1.1 and 5) and holds nothing back", async () => {
    const before = await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic);
    for (const version of [4, 5] as const) {
      const client = await login('dev-a', 'secret-of-dev-a', version);
      await publish(client, deviceTopic('takamatsu', 'dev-a', 'weather'), reading('dev-a', 'takamatsu'));
      client.end(true);
    }
    expect(await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic)).toBe(before + 2);
  });

  it("refuses a device publishing to another device's topic (3.1.1: connection closed; 5: PUBACK 0x87), nothing reaches Kafka", async () => {
    const before = await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic);
    const v3 = await login('dev-a', 'secret-of-dev-a', 4);
    const v3Gone = closed(v3);
    v3.publish(deviceTopic('cairo', 'dev-b', 'weather'), reading('dev-b', 'cairo'), { qos: 1 });
    expect(await v3Gone).toBe(true);
    const v5 = await login('dev-a', 'secret-of-dev-a', 5);
    await expect(publish(v5, deviceTopic('cairo', 'dev-b', 'weather'), reading('dev-b', 'cairo'))).rejects.toMatchObject({ code: 0x87 });
    // its own id under another city is someone else's topic too
    await expect(publish(v5, deviceTopic('cairo', 'dev-a', 'weather'), reading('dev-a', 'cairo'))).rejects.toMatchObject({ code: 0x87 });
    v5.end(true);
    expect(await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic)).toBe(before);
  });

  it("dead-letters a reading whose payload names another device, on the device's own topic", async () => {
    const dlqBefore = await topicCount(servers.kafkaBrokers, t.config.kafka.deadLetterTopic);
    const client = await login('dev-a', 'secret-of-dev-a', 5);
    await publish(client, deviceTopic('takamatsu', 'dev-a', 'weather'), reading('dev-b', 'cairo'));
    client.end(true);
    const records = await readTopic(servers.kafkaBrokers, t.config.kafka.deadLetterTopic, dlqBefore + 1);
    expect(records.at(-1)!.headers['kots-reason']).toMatch(/payload identity cairo\/dev-b does not match topic takamatsu\/dev-a/);
  });

  it("lets a device subscribe only to its own config, never to # or another device's topics", async () => {
    for (const version of [4, 5] as const) {
      const client = await login('dev-a', 'secret-of-dev-a', version);
      const granted = await subscribeCodes(
        client,
        ['#', 'kots/v1/#', 'kots/v1/+/+/weather', deviceTopic('cairo', 'dev-b', 'config'), '$SYS/#', deviceTopic('takamatsu', 'dev-a', 'config')],
        1,
      );
      const denied = version === 5 ? 0x87 : 128;
      expect(granted).toEqual([denied, denied, denied, denied, denied, 1]);
      client.end(true);
    }
  });

  it('lets a dashboard user read weather, status and health, and publish nothing; an operator may publish config', async () => {
    const dashboard = await connectClient(t.url, { clientId: 'grafana-1', username: 'grafana', password: 'dashboard-secret', protocolVersion: 5 });
    const granted = await subscribeCodes(dashboard, ['kots/v1/+/+/weather', 'kots/v1/+/+/status', 'kots/v1/cairo/+/health', 'kots/v1/+/+/config', '#'], 0);
    expect(granted).toEqual([0, 0, 0, 0x87, 0x87]);
    const seen = new Promise<string>((resolve) => dashboard.once('message', (topic) => resolve(topic)));
    const device = await login('dev-a', 'secret-of-dev-a');
    await publish(device, deviceTopic('takamatsu', 'dev-a', 'weather'), reading('dev-a', 'takamatsu'));
    expect(await seen).toBe('kots/v1/takamatsu/dev-a/weather');
    await expect(publish(dashboard, deviceTopic('takamatsu', 'dev-a', 'config'), '{}')).rejects.toMatchObject({ code: 0x87 });
    const ops = await connectClient(t.url, { clientId: 'ops-1', username: 'ops', password: 'operator-secret', protocolVersion: 5 });
    await publish(ops, deviceTopic('takamatsu', 'dev-a', 'config'), '{"intervalMinSeconds":60}', { retain: true });
    await expect(publish(ops, deviceTopic('takamatsu', 'dev-a', 'weather'), reading('dev-a', 'takamatsu'))).rejects.toMatchObject({ code: 0x87 });
    for (const c of [dashboard, device, ops]) c.end(true);
  });

  it('works with mosquitto_pub / mosquitto_sub as an independent client (and refuses them the same way)', async () => {
    const port = String(t.bridge.listeners.port);
    /** Connection options of a mosquitto client logging in as dev-a. */
    const asDevA = (password: string, version?: string) => [
      ...['-h', '127.0.0.1', '-p', port],
      ...(version ? ['-V', version] : []),
      ...['-i', 'dev-a', '-u', 'dev-a', '-P', password],
    ];
    const before = await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic);
    for (const version of ['mqttv311', 'mqttv5']) {
      await run('mosquitto_pub', [
        ...asDevA('secret-of-dev-a', version),
        ...['-q', '1', '-t', deviceTopic('takamatsu', 'dev-a', 'weather'), '-m', reading('dev-a', 'takamatsu')],
      ]);
    }
    expect(await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic)).toBe(before + 2);
    const wrong = run('mosquitto_pub', [...asDevA('wrong-password'), ...['-q', '1', '-t', deviceTopic('takamatsu', 'dev-a', 'weather'), '-m', 'x']]);
    await expect(wrong).rejects.toMatchObject({ stderr: expect.stringMatching(/bad user name or password|not authori[sz]ed/i) });
    // -E: exit once subscribed; a refused subscription is reported on stderr
    const sub = await run('mosquitto_sub', [...asDevA('secret-of-dev-a', 'mqttv5'), ...['-t', '#', '-E']]).then(
      (r) => r.stdout + r.stderr,
      (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
    );
    expect(sub).toMatch(/not authori[sz]ed|denied|refused/i);
  });

  it("dead-letters a reading whose city name is not the registry's city of its device, with the reason", async () => {
    const named = await startTestBridge({
      registry: {
        devices: [
          { ...(await registryOf([{ id: 'pi-nakano-1', city: 'nakano-tokyo', secret: 'secret-1' }])).devices![0]!, cityName: 'Nakano, Tokyo' },
          ...(await registryOf([{ id: 'pi-kochi-1', city: 'kochi', secret: 'secret-2' }])).devices!,
        ],
      },
    });
    try {
      const send = async (id: string, secret: string, slug: string, name: string) => {
        const client = await connectClient(named.url, { clientId: id, username: id, password: secret, protocolVersion: 5 });
        await publish(client, deviceTopic(slug, id, 'weather'), JSON.stringify(makeReading({ device_id: id, city: { slug, name } })));
        await client.endAsync();
      };
      // The registry names the city: only that name passes.
      await send('pi-nakano-1', 'secret-1', 'nakano-tokyo', 'Nakano, Tokyo');
      await send('pi-nakano-1', 'secret-1', 'nakano-tokyo', 'Nakano');
      // It gives only the slug: the name must spell it; mrkdwn or another city's name does not.
      await send('pi-kochi-1', 'secret-2', 'kochi', 'Kochi');
      await send('pi-kochi-1', 'secret-2', 'kochi', '<!channel> Kochi');
      await send('pi-kochi-1', 'secret-2', 'kochi', 'Cairo');
      expect(await topicCount(servers.kafkaBrokers, named.config.kafka.weatherTopic)).toBe(2);
      const dead = await readTopic(servers.kafkaBrokers, named.config.kafka.deadLetterTopic, 3);
      expect(dead.map((r) => r.headers['kots-reason'])).toEqual([
        'city name "Nakano" is not the registry\'s "Nakano, Tokyo" for device pi-nakano-1',
        'city name "<!channel> Kochi" does not name the registry\'s city kochi of device pi-kochi-1',
        'city name "Cairo" does not name the registry\'s city kochi of device pi-kochi-1',
      ]);
    } finally {
      await named.close();
    }
  });
});

describe('without a registry (kots up)', () => {
  it("accepts anonymous clients but refuses # and other devices' topics and config publishing, and dead-letters a payload that does not match its topic", async () => {
    const anon = await startTestBridge();
    try {
      const client = await connectClient(anon.url, { clientId: 'sim-kochi-1', protocolVersion: 5 });
      await publish(client, deviceTopic('kochi', 'sim-kochi-1', 'weather'), reading('sim-kochi-1', 'kochi'));
      await publish(client, deviceTopic('kochi', 'sim-kochi-1', 'weather'), reading('sim-kochi-2', 'kochi'));
      await expect(publish(client, deviceTopic('kochi', 'sim-kochi-1', 'config'), '{}')).rejects.toMatchObject({ code: 0x87 });
      const others = [
        '#',
        'kots/v1/#',
        'kots/v1/+/+/weather',
        deviceTopic('kochi', 'sim-kochi-2', 'weather'),
        deviceTopic('kochi', 'sim-kochi-2', 'config'),
        deviceTopic('kochi', 'sim-kochi-1', 'weather'),
      ];
      expect(await subscribeCodes(client, [...others, deviceTopic('kochi', 'sim-kochi-1', 'config')], 1)).toEqual([...others.map(() => 0x87), 1]);
      client.end(true);
      expect(await topicCount(servers.kafkaBrokers, anon.config.kafka.weatherTopic)).toBe(1);
      expect(await topicCount(servers.kafkaBrokers, anon.config.kafka.deadLetterTopic)).toBe(1);
    } finally {
      await anon.close();
    }
  });
});
