/**
 * The bridge's own MQTT server (bridge/mqtt-server.ts) on the behaviours devices and
 * dashboards rely on beyond auth and ACLs: wills, retained config, takeover, keep-alive,
 * QoS 2, Receive Maximum, PUBACKs of one turn in one write. Real Kafka, mqtt.js and raw sockets.
 */
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceTopic } from '../../core/topics.js';
import { waitFor } from '../helpers/processes.js';
import { makeReading } from '../helpers/readings.js';
import { connectClient, publish, registryOf, startTestBridge, type TestBridge } from './helpers.js';

const devices = [
  { id: 'srv-a', city: 'takamatsu', secret: 'secret-of-srv-a' },
  { id: 'srv-b', city: 'takamatsu', secret: 'secret-of-srv-b' },
];
const users = [{ name: 'ops', role: 'operator' as const, secret: 'operator-secret' }];

let t: TestBridge;
beforeAll(async () => {
  t = await startTestBridge({ registry: await registryOf(devices, users) });
});
afterAll(async () => t?.close());

const login = (id: string, protocolVersion: 4 | 5 = 4, extra: Record<string, unknown> = {}) =>
  connectClient(t.url, { clientId: id, username: id, password: `secret-of-${id}`, protocolVersion, ...extra });

/** CONNECT of a registered device with its secret. */
const connectPacket = (id: string, protocolVersion: 4 | 5, keepalive: number): mqttPacket.IConnectPacket => ({
  cmd: 'connect',
  protocolId: 'MQTT',
  protocolVersion,
  clean: true,
  clientId: id,
  keepalive,
  username: id,
  password: Buffer.from(`secret-of-${id}`),
});

/** A raw MQTT connection that records every packet the bridge sends and every chunk it arrives in. */
class Raw {
  readonly socket: Socket;
  readonly packets: Packet[] = [];
  chunks = 0;
  private readonly parser;
  constructor(port: number, protocolVersion: 4 | 5) {
    this.parser = mqttPacket.parser({ protocolVersion });
    this.parser.on('packet', (p) => this.packets.push(p));
    this.socket = netConnect(port, '127.0.0.1');
    this.socket.on('data', (chunk) => {
      this.chunks++;
      this.parser.parse(chunk);
    });
    this.socket.on('error', () => undefined);
  }
  send(packet: Packet, protocolVersion: 4 | 5 = 4): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion }));
  }
  async next(cmd: string, timeoutMs = 10_000): Promise<Packet> {
    return waitFor(`${cmd}`, async () => this.packets.find((p) => p.cmd === cmd), timeoutMs, 20);
  }
  get closed(): Promise<boolean> {
    return new Promise((resolve) => (this.socket.destroyed ? resolve(true) : this.socket.once('close', () => resolve(true))));
  }
}

describe('the bridge MQTT server', () => {
  it("publishes a device's will (its retained offline status) when the connection drops, not after DISCONNECT", async () => {
    const status = deviceTopic('takamatsu', 'srv-a', 'status');
    const will = { topic: status, payload: Buffer.from('{"state":"offline"}'), qos: 1 as const, retain: true };
    for (const version of [4, 5] as const) {
      const ops = await connectClient(t.url, { clientId: `ops-w${version}`, username: 'ops', password: 'operator-secret', protocolVersion: version });
      const seen: string[] = [];
      ops.on('message', (_topic, payload, packet) => !packet.retain && seen.push(payload.toString())); // live messages only
      await ops.subscribeAsync(status, { qos: 1 });
      const polite = await login('srv-a', version, { will });
      await publish(polite, status, '{"state":"online"}', { retain: true });
      await polite.endAsync();
      const rude = await login('srv-a', version, { will });
      (rude as unknown as { stream: Socket }).stream.destroy();
      await waitFor('will', async () => seen.includes('{"state":"offline"}'));
      expect(seen).toEqual(['{"state":"online"}', '{"state":"offline"}']);
      // Retained: a late subscriber gets the will as the device's status.
      const late = await connectClient(t.url, { clientId: `ops-late${version}`, username: 'ops', password: 'operator-secret', protocolVersion: version });
      const retained = new Promise<{ payload: string; retain: boolean }>((resolve) =>
        late.once('message', (_t, payload, packet) => resolve({ payload: payload.toString(), retain: packet.retain })),
      );
      await late.subscribeAsync(status, { qos: 1 });
      expect(await retained).toEqual({ payload: '{"state":"offline"}', retain: true });
      for (const c of [ops, late]) c.end(true);
    }
  });

  it("delivers an operator's retained config to the device on subscribe, and live changes after", async () => {
    const config = deviceTopic('takamatsu', 'srv-b', 'config');
    const ops = await connectClient(t.url, { clientId: 'ops-cfg', username: 'ops', password: 'operator-secret', protocolVersion: 5 });
    await publish(ops, config, '{"intervalMinSeconds":60}', { retain: true });
    const device = await login('srv-b', 5);
    const got: Array<{ payload: string; retain: boolean; qos: number }> = [];
    device.on('message', (_t, payload, packet) => got.push({ payload: payload.toString(), retain: packet.retain, qos: packet.qos }));
    const granted = await device.subscribeAsync(config, { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1]);
    await waitFor('retained config', async () => got.length === 1);
    await publish(ops, config, '{"intervalMinSeconds":90}', { retain: true });
    await waitFor('live config', async () => got.length === 2);
    expect(got).toEqual([
      { payload: '{"intervalMinSeconds":60}', retain: true, qos: 1 },
      { payload: '{"intervalMinSeconds":90}', retain: false, qos: 1 },
    ]);
    await device.unsubscribeAsync(config);
    await publish(ops, config, '{"intervalMinSeconds":120}', { retain: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toHaveLength(2);
    await publish(ops, config, '', { retain: true }); // clears the retained config
    for (const c of [ops, device]) c.end(true);
  });

  it('hands a client id that connects again to the new connection (v5: the old one hears 0x8E)', async () => {
    const first = await login('srv-a', 5);
    const reason = new Promise<number | undefined>((resolve) => first.once('disconnect', (packet) => resolve(packet.reasonCode)));
    const second = await login('srv-a', 5);
    expect(await reason).toBe(0x8e);
    expect(t.bridge.server.clients.get('srv-a')).toBeDefined();
    await publish(
      second,
      deviceTopic('takamatsu', 'srv-a', 'weather'),
      JSON.stringify(makeReading({ device_id: 'srv-a', city: { slug: 'takamatsu', name: 'Takamatsu' } })),
    );
    first.end(true);
    await second.endAsync();
    await waitFor('gone', async () => t.bridge.server.clients.get('srv-a') === undefined);
  });

  it('closes a connection silent for 1.5 x its keep-alive', async () => {
    const raw = new Raw(t.bridge.listeners.port, 4);
    raw.send(connectPacket('srv-b', 4, 1));
    expect(await raw.next('connack')).toMatchObject({ returnCode: 0 });
    const started = performance.now();
    await raw.closed;
    const after = performance.now() - started;
    expect(after).toBeGreaterThan(1400);
    expect(after).toBeLessThan(4000);
  });

  it('handles packets a client sends right behind its CONNECT, before the CONNACK', async () => {
    const raw = new Raw(t.bridge.listeners.port, 4);
    raw.socket.write(
      Buffer.concat([
        mqttPacket.generate(connectPacket('srv-b', 4, 30)),
        mqttPacket.generate({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: deviceTopic('takamatsu', 'srv-b', 'config'), qos: 1 }] }),
        mqttPacket.generate({ cmd: 'pingreq' }),
      ]),
    );
    expect(await raw.next('suback')).toMatchObject({ messageId: 3, granted: [1] });
    await raw.next('pingresp');
    expect(raw.packets.map((p) => p.cmd)).toEqual(['connack', 'suback', 'pingresp']);
    raw.socket.destroy();
  });

  it('refuses QoS 2 (v5: DISCONNECT 0x9B) and counts Receive Maximum in the v5 CONNACK', async () => {
    const raw = new Raw(t.bridge.listeners.port, 5);
    raw.send(connectPacket('srv-a', 5, 30), 5);
    const connack = (await raw.next('connack')) as mqttPacket.IConnackPacket;
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.receiveMaximum).toBe(t.config.bridge.receiveMaximum);
    expect(connack.properties?.maximumPacketSize).toBeGreaterThan(t.config.bridge.maxPayloadBytes);
    raw.send(
      { cmd: 'publish', topic: deviceTopic('takamatsu', 'srv-a', 'status'), payload: Buffer.from('{}'), qos: 2, messageId: 9, retain: false, dup: false },
      5,
    );
    expect(await raw.next('disconnect')).toMatchObject({ reasonCode: 0x9b });
    expect(await raw.closed).toBe(true);
  });

  it('answers the PUBACKs that become due together in one write, and only after Kafka has the readings', async () => {
    const raw = new Raw(t.bridge.listeners.port, 4);
    raw.send(connectPacket('srv-b', 4, 30));
    await raw.next('connack');
    const chunksBefore = raw.chunks;
    const topic = deviceTopic('takamatsu', 'srv-b', 'weather');
    const frames = Array.from({ length: 50 }, (_, i) =>
      mqttPacket.generate({
        cmd: 'publish',
        topic,
        payload: Buffer.from(JSON.stringify(makeReading({ device_id: 'srv-b', city: { slug: 'takamatsu', name: 'Takamatsu' }, seq: i }))),
        qos: 1,
        messageId: i + 1,
        retain: false,
        dup: false,
      }),
    );
    raw.socket.write(Buffer.concat(frames));
    await waitFor('50 PUBACKs', async () => raw.packets.filter((p) => p.cmd === 'puback').length === 50);
    expect(raw.packets.filter((p) => p.cmd === 'puback').map((p) => (p as mqttPacket.IPubackPacket).messageId)).toEqual(frames.map((_, i) => i + 1));
    // One Kafka batch acknowledges the 50 readings, and their PUBACKs leave in a write or two, not 50.
    expect(raw.chunks - chunksBefore).toBeLessThanOrEqual(5);
    raw.socket.destroy();
  });
});
