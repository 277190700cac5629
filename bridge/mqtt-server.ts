/**
 * The bridge's own MQTT server: the device connections, on mqtt-packet (the codec of
 * MQTT.js and aedes). It does exactly what the bridge needs and keeps little per
 * connection: one `Connection` object, its parser and socket, no per-connection
 * closures, one keep-alive sweep for all connections, PUBACKs of a connection gathered
 * into one write per turn of the event loop. Routing between clients (retained
 * messages, wildcard subscriptions, the dashboard's in-process feed) stays with an
 * embedded aedes used as a library (`router`): publish/subscribe/persistence, no
 * connections.
 *
 * The hooks have aedes's shapes (preConnect, authenticate, authorizePublish,
 * authorizeSubscribe; callbacks as aedes calls them), so bridge/index.ts states its
 * rules once. What a device sees:
 * - MQTT 3.1.1 and 5. CONNACK 5 carries Receive Maximum and Maximum Packet Size.
 *   Refusals: the 3.1.1 return code, or its v5 reason code (4 -> 0x86, 5 -> 0x87, 2 -> 0x85, 3 -> 0x88).
 * - PUBLISH QoS 0/1: PUBACK only after authorizePublish called back (the bridge calls back
 *   when Kafka has the reading). Refused: 3.1.1 closes the connection, 5 gets PUBACK 0x87.
 *   QoS 2 is not offered (v5: DISCONNECT 0x9B).
 * - More than Receive Maximum publishes waiting: the connection is not read until
 *   PUBACKs went out (3.1.1 and 5 alike), so one client holds at most that many readings.
 * - A frame over maximumPacketSize is refused from its fixed header, before its payload
 *   is buffered (v5: DISCONNECT 0x95).
 * - Sessions are clean (sessionPresent 0); a second CONNECT with a live client id takes
 *   the session over (the old connection is closed, v5: 0x8E).
 * - Wills are published when a connection ends without DISCONNECT (or with v5 reason 0x04).
 * - Subscriptions are delivered at QoS 0 or 1 (granted max 1), retained messages first.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { Aedes, type AedesPublishPacket, type Subscription } from 'aedes';
import mqttPacket, { type IConnectPacket, type IPublishPacket, type ISubscribePacket, type IUnsubscribePacket, type Packet } from 'mqtt-packet';
import { useLeanMqttPacket } from './mqtt-packet-lean.js';

type Callback = (error?: Error | null) => void;

export interface MqttServerHooks {
  maximumPacketSize: number;
  receiveMaximum: number;
  /** Before authentication; `false` drops the socket without a CONNACK. */
  preConnect(client: Client, packet: IConnectPacket, callback: (error: Error | null, ok: boolean) => void): void;
  /** error.returnCode (3.1.1 code) is the CONNACK answer. */
  authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    callback: (error: (Error & { returnCode?: number }) | null, ok: boolean) => void,
  ): void;
  /** client is null for the bridge's own messages (wills). */
  authorizePublish(client: Client | null, packet: IPublishPacket, callback: Callback): void;
  /** subscription null = SUBACK failure. */
  authorizeSubscribe(client: Client, subscription: Subscription, callback: (error: Error | null, subscription: Subscription | null) => void): void;
}

const CONNACK_V5_REASON: Record<number, number> = { 1: 0x84, 2: 0x85, 3: 0x88, 4: 0x86, 5: 0x87 };
const REASON = { sessionTakenOver: 0x8e, packetTooLarge: 0x95, qosNotSupported: 0x9b, protocolError: 0x82, keepAliveTimeout: 0x8d } as const;
/** A connection that has not sent CONNECT by then is dropped (aedes: connectTimeout). */
const CONNECT_TIMEOUT_MS = 30_000;
const SWEEP_MS = 1000;
/**
 * Publishes the whole server holds waiting for Kafka before it stops reading clients (each client's
 * own bound is receiveMaximum). Under a load beyond what Kafka takes, readings then wait in the
 * clients and in TCP buffers, not in the bridge's memory; 10,000 is far more than needed to keep
 * Kafka busy (about rate x round trip: 13,000/s x 0.1 s).
 */
const MAX_IN_FLIGHT = 10_000;
/** Packets a client may send before its CONNACK (aedes: queueLimit 42). */
const QUEUE_LIMIT = 42;

enum State {
  New = 0,
  Connecting = 1,
  Connected = 2,
  Closed = 3,
}

interface ParserWithClient {
  client: Client;
  packet: { length: number };
  parse(buffer: Buffer): number;
  on(event: 'packet', listener: (this: ParserWithClient, packet: Packet) => void): void;
  on(event: 'error', listener: (this: ParserWithClient, error: Error) => void): void;
  removeAllListeners(): void;
}

interface StreamWithClient extends Duplex {
  client: Client;
}

/** One MQTT connection. Everything it needs is on this object; its handlers are shared functions. */
export class Client {
  id = '';
  version: 3 | 4 | 5 = 4;
  state = State.New;
  /** Set once CONNACK 0 went out and the 'client' event fired (so 'clientDisconnect' follows). */
  announced = false;
  closed = false;
  keepaliveMs = 0;
  lastSeen = performance.now();
  /** PUBLISHes waiting for their PUBACK (authorizePublish not yet called back). */
  inFlight = 0;
  paused = false;
  will: IConnectPacket['will'] | undefined = undefined;
  /** Message ids of PUBACKs to write at the end of this turn. */
  pendingAcks: number[] | null = null;
  /** Router subscriptions (filter -> deliver function); only clients that subscribe have one. */
  subscriptions: Map<string, (packet: AedesPublishPacket, done: () => void) => void> | null = null;
  nextMessageId = 1;
  /** Packets that arrived between CONNECT and CONNACK. */
  queued: Packet[] | null = null;

  constructor(
    readonly server: MqttServer,
    readonly conn: Duplex,
    readonly parser: ParserWithClient,
  ) {}

  /** Closes the connection; a v5 client first gets DISCONNECT with the reason. */
  disconnect(options: { reasonCode?: number } = {}, done: () => void = () => undefined): void {
    if (this.closed) {
      done();
      return;
    }
    if (this.version === 5 && this.state === State.Connected && options.reasonCode !== undefined)
      this.write({ cmd: 'disconnect', reasonCode: options.reasonCode });
    // Not the client's own DISCONNECT, so its will is published (as aedes does).
    this.server.close(this, true);
    done();
  }

  write(packet: Packet): void {
    if (this.closed || this.conn.destroyed) return;
    let bytes: Buffer;
    try {
      bytes = mqttPacket.generate(packet, { protocolVersion: this.version });
    } catch (error) {
      // A packet mqtt-packet cannot encode (e.g. a topic a v3 client cannot receive): that client goes, the server stays.
      this.server.emit('clientError', this, error as Error);
      this.server.close(this, true);
      return;
    }
    this.conn.write(bytes);
  }
}

export class MqttServer extends EventEmitter {
  /** Connected clients by client id (after CONNACK). */
  readonly clients = new Map<string, Client>();
  private readonly all = new Set<Client>();
  private readonly sweeper: NodeJS.Timeout;
  private ackQueue: Client[] = [];
  /** Publishes of all clients waiting for authorizePublish (i.e. for Kafka), and the clients not read meanwhile. */
  private inFlight = 0;
  private readonly held = new Set<Client>();
  private flushScheduled = false;
  private closing = false;

  private constructor(
    readonly hooks: MqttServerHooks,
    /** Retained messages and subscriptions; also the dashboard's in-process feed (`kots up`). */
    readonly router: Aedes,
  ) {
    super();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  static async create(hooks: MqttServerHooks): Promise<MqttServer> {
    useLeanMqttPacket();
    const router = await Aedes.createBroker({ id: 'kots-bridge' });
    return new MqttServer(hooks, router);
  }

  get connectedClients(): number {
    return this.clients.size;
  }

  /** Takes a new connection (TCP, TLS or WebSocket stream). */
  readonly handle = (conn: Duplex): void => {
    if (this.closing) {
      conn.destroy();
      return;
    }
    const parser = mqttPacket.parser() as unknown as ParserWithClient;
    const client = new Client(this, conn, parser);
    parser.client = client;
    (conn as StreamWithClient).client = client;
    parser.on('packet', onPacket);
    parser.on('error', onParserError);
    conn.on('data', onData);
    conn.on('error', onConnError);
    conn.on('close', onConnClose);
    conn.on('end', onConnClose);
    this.all.add(client);
  };

  /** Closes a client. `unexpected`: publish its will. */
  close(client: Client, unexpected: boolean): void {
    if (client.closed) return;
    client.closed = true;
    const wasConnected = client.state === State.Connected;
    client.state = State.Closed;
    this.all.delete(client);
    this.held.delete(client);
    client.parser.removeAllListeners();
    client.parser.on('error', () => undefined);
    if (client.subscriptions) {
      for (const [filter, deliver] of client.subscriptions) this.router.unsubscribe(filter, deliver, () => undefined);
      client.subscriptions = null;
    }
    if (this.clients.get(client.id) === client) this.clients.delete(client.id);
    client.conn.removeListener('data', onData);
    client.conn.on('error', () => undefined);
    // Written PUBACKs first (end flushes), then the socket goes.
    if (!client.conn.destroyed) client.conn.end();
    setTimeout(() => client.conn.destroy(), 1000).unref();
    if (wasConnected && unexpected && client.will) this.publishWill(client.will);
    client.will = undefined;
    if (client.announced) this.emit('clientDisconnect', client);
  }

  private publishWill(will: NonNullable<IConnectPacket['will']>): void {
    const packet = { cmd: 'publish', topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, dup: false } as IPublishPacket;
    this.hooks.authorizePublish(null, packet, (error) => {
      if (!error) this.router.publish(packet, () => undefined);
    });
  }

  // ---- packets -------------------------------------------------------------------------

  onPacket(client: Client, packet: Packet): void {
    client.lastSeen = performance.now();
    if (client.state === State.New) {
      if (packet.cmd !== 'connect') {
        this.close(client, false);
        return;
      }
      this.onConnect(client, packet);
      return;
    }
    if (client.state === State.Connecting) {
      // Sent right behind CONNECT, before our CONNACK (allowed): handled once the client is in.
      client.queued ??= [];
      if (client.queued.length < QUEUE_LIMIT) client.queued.push(packet);
      else this.close(client, false);
      return;
    }
    if (client.state !== State.Connected) return;
    switch (packet.cmd) {
      case 'publish':
        this.onPublish(client, packet);
        return;
      case 'puback':
        return; // QoS 1 deliveries to subscribers are not re-sent (clean sessions), so nothing to track
      case 'subscribe':
        this.onSubscribe(client, packet);
        return;
      case 'unsubscribe':
        this.onUnsubscribe(client, packet);
        return;
      case 'pingreq':
        client.write({ cmd: 'pingresp' });
        return;
      case 'disconnect':
        // v5 reason 0x04: "disconnect with will message"
        this.close(client, packet.reasonCode === 0x04);
        return;
      case 'connect':
        this.close(client, true); // a second CONNECT is a protocol error [MQTT-3.1.0-2]
        return;
      default:
        if (client.version === 5) client.write({ cmd: 'disconnect', reasonCode: REASON.protocolError });
        this.close(client, true);
        return;
    }
  }

  private onConnect(client: Client, packet: IConnectPacket): void {
    client.state = State.Connecting;
    client.version = packet.protocolVersion === 5 ? 5 : packet.protocolVersion === 3 ? 3 : 4;
    if (packet.protocolVersion !== 3 && packet.protocolVersion !== 4 && packet.protocolVersion !== 5) {
      client.version = 4;
      client.write({ cmd: 'connack', returnCode: 1, sessionPresent: false });
      this.close(client, false);
      return;
    }
    if (!packet.clientId) {
      if (!packet.clean) {
        this.refuse(client, 2);
        return;
      }
      packet.clientId = `kots-${randomUUID()}`;
    }
    client.id = packet.clientId;
    client.keepaliveMs = (packet.keepalive ?? 0) * 1500;
    client.will = packet.will;
    this.hooks.preConnect(client, packet, (preError, ok) => {
      if (client.closed) return;
      if (preError || !ok) return this.close(client, false);
      this.hooks.authenticate(client, packet.username, packet.password, (error, authenticated) => {
        if (client.closed) return;
        if (error || !authenticated) return this.refuse(client, error?.returnCode ?? 5);
        const previous = this.clients.get(client.id);
        if (previous && previous !== client) previous.disconnect({ reasonCode: REASON.sessionTakenOver });
        this.clients.set(client.id, client);
        client.state = State.Connected;
        client.write(
          client.version === 5
            ? {
                cmd: 'connack',
                reasonCode: 0,
                sessionPresent: false,
                properties: { receiveMaximum: this.hooks.receiveMaximum, maximumPacketSize: this.hooks.maximumPacketSize, topicAliasMaximum: 0 },
              }
            : { cmd: 'connack', returnCode: 0, sessionPresent: false },
        );
        client.announced = true;
        this.emit('client', client);
        const queued = client.queued;
        client.queued = null;
        for (const early of queued ?? []) if (!client.closed) this.onPacket(client, early);
      });
    });
  }

  private refuse(client: Client, returnCode: number): void {
    client.write(
      client.version === 5
        ? { cmd: 'connack', reasonCode: CONNACK_V5_REASON[returnCode] ?? 0x80, sessionPresent: false }
        : { cmd: 'connack', returnCode, sessionPresent: false },
    );
    this.close(client, false);
  }

  private onPublish(client: Client, packet: IPublishPacket): void {
    const topic = packet.topic;
    if (packet.qos === 2) {
      if (client.version === 5) client.write({ cmd: 'disconnect', reasonCode: REASON.qosNotSupported });
      this.close(client, true);
      return;
    }
    if (topic.length === 0 || topic.includes('#') || topic.includes('+')) {
      this.emit('clientError', client, new Error(`invalid publish topic "${topic.slice(0, 80)}"`));
      this.close(client, true);
      return;
    }
    client.inFlight++;
    this.inFlight++;
    if (!client.paused && (client.inFlight >= this.hooks.receiveMaximum || this.inFlight >= MAX_IN_FLIGHT)) this.pause(client);
    this.hooks.authorizePublish(client, packet, (error) => {
      client.inFlight--;
      this.inFlight--;
      this.maybeResume(client);
      if (this.held.size > 0 && this.inFlight <= MAX_IN_FLIGHT / 2) for (const other of this.held) this.maybeResume(other);
      if (client.closed) return;
      if (error) {
        this.emit('clientError', client, error);
        if (client.version !== 5) return this.close(client, true);
        if (packet.qos === 1) client.write({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0x87 });
        return;
      }
      if (packet.qos === 1 && packet.messageId !== undefined) this.queueAck(client, packet.messageId);
      this.router.publish(packet, () => undefined);
    });
  }

  /** Stops reading a client: it has receiveMaximum publishes waiting, or the whole server has MAX_IN_FLIGHT. */
  private pause(client: Client): void {
    client.paused = true;
    this.held.add(client);
    client.conn.pause();
  }

  private maybeResume(client: Client): void {
    if (!client.paused || client.inFlight >= this.hooks.receiveMaximum || this.inFlight >= MAX_IN_FLIGHT) return;
    client.paused = false;
    this.held.delete(client);
    if (!client.closed) client.conn.resume();
  }

  /** PUBACKs of a turn go out together: one write per client instead of one per reading. */
  private queueAck(client: Client, messageId: number): void {
    if (client.pendingAcks === null) {
      client.pendingAcks = [messageId];
      this.ackQueue.push(client);
    } else client.pendingAcks.push(messageId);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAcks);
    }
  }

  private readonly flushAcks = (): void => {
    this.flushScheduled = false;
    const queue = this.ackQueue;
    this.ackQueue = [];
    for (const client of queue) {
      const ids = client.pendingAcks;
      client.pendingAcks = null;
      if (ids === null || client.closed || client.conn.destroyed) continue;
      // PUBACK without reason code or properties is 4 bytes in 3.1.1 and 5 alike: 0x40 0x02 <id>.
      const bytes = Buffer.allocUnsafe(4 * ids.length);
      for (let i = 0; i < ids.length; i++) {
        const at = 4 * i;
        const id = ids[i] ?? 0;
        bytes[at] = 0x40;
        bytes[at + 1] = 0x02;
        bytes[at + 2] = id >> 8;
        bytes[at + 3] = id & 0xff;
      }
      client.conn.write(bytes);
    }
  };

  private onSubscribe(client: Client, packet: ISubscribePacket): void {
    const granted: number[] = new Array(packet.subscriptions.length).fill(client.version === 5 ? 0x87 : 0x80);
    let pending = packet.subscriptions.length;
    const accepted: Array<{ filter: string; qos: 0 | 1 }> = [];
    const finish = () => {
      if (client.closed) return;
      client.write({ cmd: 'suback', messageId: packet.messageId, granted } as Packet);
      for (const { filter, qos } of accepted) this.addSubscription(client, filter, qos);
    };
    packet.subscriptions.forEach((subscription, i) => {
      this.hooks.authorizeSubscribe(client, subscription as Subscription, (error, allowed) => {
        if (!error && allowed) {
          const qos = Math.min(allowed.qos, 1) as 0 | 1;
          granted[i] = qos;
          accepted.push({ filter: allowed.topic, qos });
        }
        if (--pending === 0) finish();
      });
    });
  }

  private addSubscription(client: Client, filter: string, qos: 0 | 1): void {
    client.subscriptions ??= new Map();
    const previous = client.subscriptions.get(filter);
    if (previous) this.router.unsubscribe(filter, previous, () => undefined);
    const deliver = (packet: AedesPublishPacket, done: () => void) => {
      this.deliver(client, packet, qos, false);
      done();
    };
    client.subscriptions.set(filter, deliver);
    this.router.subscribe(filter, deliver, () => {
      // Retained messages after the SUBACK, as MQTT asks [MQTT-3.3.1-6].
      const { persistence } = this.router as unknown as { persistence: { createRetainedStreamCombi(patterns: string[]): AsyncIterable<AedesPublishPacket> } };
      const retained = persistence.createRetainedStreamCombi([filter]);
      void (async () => {
        for await (const message of retained) this.deliver(client, message, qos, true);
      })().catch(() => undefined);
    });
  }

  private deliver(client: Client, packet: AedesPublishPacket, grantedQos: 0 | 1, retained: boolean): void {
    if (client.closed) return;
    const qos = Math.min(packet.qos, grantedQos) as 0 | 1;
    const out: IPublishPacket = { cmd: 'publish', topic: packet.topic, payload: packet.payload, qos, retain: retained, dup: false };
    if (qos === 1) {
      out.messageId = client.nextMessageId;
      client.nextMessageId = (client.nextMessageId % 65_535) + 1;
    }
    client.write(out);
  }

  private onUnsubscribe(client: Client, packet: IUnsubscribePacket): void {
    for (const filter of packet.unsubscriptions) {
      const deliver = client.subscriptions?.get(filter);
      if (deliver) {
        client.subscriptions?.delete(filter);
        this.router.unsubscribe(filter, deliver, () => undefined);
      }
    }
    client.write({ cmd: 'unsuback', messageId: packet.messageId, granted: packet.unsubscriptions.map(() => 0) } as unknown as Packet);
  }

  /** Keep-alive (1.5 x the client's interval) and CONNECT timeout, for all connections at once. */
  private sweep(): void {
    const now = performance.now();
    for (const client of this.all) {
      if (client.state === State.Connected) {
        if (client.keepaliveMs > 0 && !client.paused && now - client.lastSeen > client.keepaliveMs) {
          this.emit('clientError', client, new Error('keep alive timeout'));
          client.disconnect({ reasonCode: REASON.keepAliveTimeout });
        }
      } else if (client.state === State.New && now - client.lastSeen > CONNECT_TIMEOUT_MS) this.close(client, false);
    }
  }

  /** Checks a frame's declared size as soon as its fixed header is parsed (before its payload is buffered). */
  tooLarge(client: Client): boolean {
    const length = client.parser.packet?.length ?? -1;
    if (length <= 0) return false;
    const wireSize = 1 + (length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4) + length;
    if (wireSize <= this.hooks.maximumPacketSize) return false;
    const error = Object.assign(new Error('packet too large'), { size: wireSize, maximumPacketSize: this.hooks.maximumPacketSize });
    this.emit(client.state === State.Connected ? 'clientError' : 'connectionError', client, error);
    if (client.version === 5 && client.state === State.Connected) client.write({ cmd: 'disconnect', reasonCode: REASON.packetTooLarge });
    this.close(client, true);
    client.conn.destroy();
    return true;
  }

  closeAll(done: () => void): void {
    this.closing = true;
    clearInterval(this.sweeper);
    for (const client of [...this.all]) {
      this.close(client, false);
      client.conn.destroy();
    }
    this.router.close(() => done());
  }
}

function onData(this: StreamWithClient, chunk: Buffer): void {
  const client = this.client;
  if (client.closed) return;
  client.parser.parse(chunk);
  if (!client.closed) client.server.tooLarge(client);
}

function onPacket(this: ParserWithClient, packet: Packet): void {
  const client = this.client;
  if (client.closed) return;
  if (client.server.tooLarge(client)) return;
  client.server.onPacket(client, packet);
}

function onParserError(this: ParserWithClient, error: Error): void {
  const client = this.client;
  client.server.emit(client.state === State.Connected ? 'clientError' : 'connectionError', client, error);
  client.server.close(client, true);
}

function onConnError(this: StreamWithClient, error: Error): void {
  const client = this.client;
  if (!client.closed) client.server.emit(client.state === State.Connected ? 'clientError' : 'connectionError', client, error);
  client.server.close(client, true);
}

function onConnClose(this: StreamWithClient): void {
  this.client.server.close(this.client, true);
}
