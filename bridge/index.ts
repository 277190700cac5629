/**
 * `kots bridge`: the fleet's MQTT front door (its own MQTT server, ./mqtt-server.ts, MQTT 3.1.1 and 5).
 * Devices log in against the registry, may touch only their own topics, and
 * their readings under kots/v1/<city>/<device>/weather are validated and handed
 * to the sink; the device's PUBACK is written only when the sink says the
 * reading is durable (the server sends the PUBACK after authorizePublish calls back,
 * see docs/design.md, "Facts behind our choices"). The external-broker variant is in ./external.ts.
 */
import type { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { ReadingSink } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { errorMessage, KotsError } from '../core/errors.js';
import { parseDeviceTopic } from '../core/topics.js';
import { anonymousExposure, authenticate, CONNACK, describeIdentity, isLoopback, publishDenial, stillValid, subscribeDenial, type Identity } from './access.js';
import { ReadingForwarder } from './forwarder.js';
import { type Client, MqttServer } from './mqtt-server.js';
import { openListeners, type Listeners } from './listeners.js';
import { startMetricsServer, type MetricsServer, type SinkHealth } from './metrics-server.js';
import { BridgeMetrics } from './metrics.js';
import { RateLimiter, type TokenBucket } from './rate-limit.js';
import { registrySourceFromConfig, type Registry, type RegistrySource } from './registry/index.js';

export interface BridgeOptions {
  config: KotsConfig;
  sink: ReadingSink;
  logger: Logger;
  /** Overrides the registry named by the config; `null` = anonymous devices whatever the config says. */
  registrySource?: RegistrySource | null;
  /** Kafka's state for /healthz and /metrics; by default read from the sink's `status` when it has one (KafkaReadingSink). */
  health?: () => SinkHealth;
}

export interface BridgeHandle {
  /** The device connections (connected clients by id: `server.clients`). */
  readonly server: MqttServer;
  /** Retained messages and subscriptions, in-process (the dashboard of `kots up` follows the fleet here). */
  readonly broker: Aedes;
  readonly listeners: Listeners;
  readonly metrics: BridgeMetrics;
  /** Set when bridge.metricsPort is configured. */
  readonly metricsServer: MetricsServer | undefined;
  /** The registry in force (undefined: anonymous devices). */
  registry(): Registry | undefined;
  close(): Promise<void>;
}

/** MQTT 5 reason codes the bridge sends with DISCONNECT (v3 clients just see the connection close). */
const REASON = { notAuthorized: 0x87, serverShuttingDown: 0x8b, packetTooLarge: 0x95, messageRateTooHigh: 0x96 } as const;

interface ClientState {
  identity: Identity;
  bucket: TokenBucket;
}

const rateKey = (identity: Identity) => (identity.kind === 'device' ? `d:${identity.id}` : `u:${identity.name}`);

export function sinkHealthOf(sink: ReadingSink): () => SinkHealth {
  const status = (sink as { status?: SinkHealth }).status;
  return () =>
    status ? { healthy: status.healthy, inFlight: status.inFlight, ...(status.lastError ? { lastError: status.lastError } : {}) } : { healthy: true };
}

export async function startBridge({ config, sink, logger, registrySource, health }: BridgeOptions): Promise<BridgeHandle> {
  const metrics = new BridgeMetrics();
  const limits = config.bridge;
  const source = registrySource === undefined ? registrySourceFromConfig(config) : (registrySource ?? undefined);
  const exposure = anonymousExposure(limits, source !== undefined);
  if (exposure) throw new KotsError('USAGE', exposure);
  let registry = source ? await source.load() : undefined;
  const forwarder = new ReadingForwarder(sink, metrics, logger, () => registry);
  if (registry) metrics.registryDevices = registry.size.devices;
  const clients = new Map<Client, ClientState>();
  const rates = new RateLimiter(limits.maxMessagesPerMinute / 60, limits.rateBurst, limits.receiveMaximum);
  const wills = new WeakMap<Client, { topic: string; retain: boolean }>();

  /** Closes a client; v5 clients first get a DISCONNECT with the reason. Runs `then` once closed. */
  const drop = (client: Client, reasonCode: number, then: () => void = () => undefined) => {
    if (client.closed) return then();
    client.disconnect({ reasonCode }, then);
  };

  const broker = await MqttServer.create({
    // An oversized frame is refused while it is parsed, before its payload is buffered (room for the topic and properties).
    maximumPacketSize: limits.maxPayloadBytes + 1024,
    receiveMaximum: limits.receiveMaximum,
    preConnect: (client, packet, callback) => {
      if (broker.connectedClients >= limits.maxConnections) {
        metrics.refused('max_connections');
        logger.warn({ client: packet.clientId?.slice(0, 80), max: limits.maxConnections }, 'bridge.maxConnections reached: connection refused');
        return callback(new Error('too many connections'), false);
      }
      if (packet.will) wills.set(client, { topic: packet.will.topic, retain: packet.will.retain === true });
      callback(null, true);
    },
    authenticate: (client, username, password, callback) => {
      authenticate(registry, client.id, username, password).then(
        (verdict) => {
          const will = wills.get(client);
          wills.delete(client); // needed only for this check
          if (verdict.ok) {
            const willDenied = will && publishDenial(verdict.identity, will.topic, will.retain);
            // The registry may have changed while the password was being checked.
            if (!willDenied && stillValid(verdict.identity, registry)) {
              clients.set(client, { identity: verdict.identity, bucket: rates.bucketFor(rateKey(verdict.identity)) });
              return callback(null, true);
            }
            verdict = { ok: false, code: CONNACK.notAuthorized, label: 'will_denied', reason: willDenied ?? 'registry changed during login' };
          }
          metrics.refused(verdict.label);
          logger.warn({ client: client.id.slice(0, 80), username: username?.slice(0, 80), reason: verdict.reason }, 'connection refused');
          callback(Object.assign(new Error(verdict.reason), { returnCode: verdict.code }), false);
        },
        (error: unknown) => {
          logger.error({ err: errorMessage(error) }, 'authentication failed unexpectedly');
          callback(Object.assign(new Error('server unavailable'), { returnCode: 3 }), false);
        },
      );
    },
    authorizePublish: (client, packet, callback) => {
      if (!client) return callback(null); // the broker's own messages (wills are checked at CONNECT)
      const state = clients.get(client);
      if (!state) return callback(new Error('not authenticated'));
      if (packet.payload.length > limits.maxPayloadBytes) {
        metrics.refused('payload_too_large');
        logger.warn(
          { client: client.id, who: describeIdentity(state.identity), bytes: packet.payload.length },
          'payload over bridge.maxPayloadBytes: disconnecting',
        );
        return drop(client, REASON.packetTooLarge, () => callback(new Error('payload too large')));
      }
      const topic = parseDeviceTopic(packet.topic); // once per publish: the access check and the forwarder share it
      const denial = publishDenial(state.identity, packet.topic, packet.retain, topic);
      if (denial) {
        metrics.refused('acl_publish');
        logger.warn({ client: client.id, who: describeIdentity(state.identity), topic: packet.topic.slice(0, 200), reason: denial }, 'publish refused');
        // v3.1.1: the connection closes; v5: PUBACK "not authorized" and the connection stays.
        return callback(new Error(denial));
      }
      const wait = state.bucket.take();
      if (wait === Number.POSITIVE_INFINITY) {
        metrics.refused('rate_limited');
        logger.warn(
          {
            client: client.id,
            who: describeIdentity(state.identity),
            rate: limits.maxMessagesPerMinute,
            burst: limits.rateBurst,
            receiveMaximum: limits.receiveMaximum,
          },
          'client over its message rate with more messages waiting than bridge.receiveMaximum: disconnecting it as abusive',
        );
        return drop(client, REASON.messageRateTooHigh, () => callback(new Error('message rate too high')));
      }
      const proceed = () => {
        if (client.closed) return callback(new Error('client gone'));
        if (topic?.kind !== 'weather') return callback(null);
        metrics.received();
        metrics.inFlight++;
        forwarder
          .forward(packet.topic, packet.payload as Buffer, new Date(), topic)
          .then(
            () => callback(null),
            (error) => {
              // No PUBACK (a v5 "refused" PUBACK would make the device drop the reading): close, the device sends it again.
              logger.error({ err: errorMessage(error) }, 'reading not forwarded; the device will send it again');
              drop(client, REASON.serverShuttingDown, () => callback(error as Error));
            },
          )
          .finally(() => metrics.inFlight--);
      };
      if (wait > 0) setTimeout(proceed, wait);
      else proceed();
    },
    authorizeSubscribe: (client, subscription, callback) => {
      const state = clients.get(client);
      const denial = state ? subscribeDenial(state.identity, subscription.topic) : 'not authenticated';
      if (denial) {
        metrics.refused('acl_subscribe');
        logger.warn(
          { client: client.id, who: state && describeIdentity(state.identity), filter: subscription.topic.slice(0, 200), reason: denial },
          'subscription refused',
        );
        return callback(null, null); // SUBACK failure (0x80; v5: 0x87), the connection stays
      }
      callback(null, subscription);
    },
  });
  broker.on('client', () => {
    metrics.connections++;
    metrics.connectionsTotal++;
  });
  broker.on('clientDisconnect', (client) => {
    metrics.connections--;
    const state = clients.get(client);
    if (state) rates.park(rateKey(state.identity), state.bucket);
    clients.delete(client);
  });
  // The server drops a frame over maximumPacketSize itself (before authorizePublish sees it): count and log it here.
  const onClientError = (client: Client, error: Error & { size?: number }) => {
    if (error.message === 'packet too large') {
      metrics.refused('payload_too_large');
      const state = clients.get(client);
      logger.warn(
        { client: client.id?.slice(0, 80), who: state ? describeIdentity(state.identity) : 'not logged in', bytes: error.size, limit: limits.maxPayloadBytes },
        'MQTT frame over bridge.maxPayloadBytes: connection closed',
      );
    } else logger.debug({ client: client.id, err: error.message }, 'client error');
  };
  broker.on('clientError', onClientError);
  broker.on('connectionError', onClientError);

  const applyRegistry = (next: Registry) => {
    registry = next;
    metrics.registryReloads++;
    metrics.registryDevices = next.size.devices;
    let closed = 0;
    for (const [client, state] of clients) {
      if (stillValid(state.identity, next)) continue;
      closed++;
      clients.delete(client);
      metrics.refused('revoked_live');
      logger.warn({ client: client.id, who: describeIdentity(state.identity) }, 'removed, revoked or re-keyed in the registry: closing its connection');
      drop(client, REASON.notAuthorized);
    }
    logger.info({ source: source?.description, ...next.size, closed }, 'device registry reloaded');
  };
  source?.watch(applyRegistry, (error) => {
    metrics.registryReloadFailures++;
    logger.error({ source: source.description, err: error.message }, 'device registry reload failed: keeping the previous one');
  });
  if (registry) logger.info({ source: source?.description, ...registry.size }, 'device registry loaded');
  else if (isLoopback(limits.host))
    logger.warn('no device registry (bridge.registryFile / bridge.registryVaultPath): accepting anonymous devices on loopback, topic identity still enforced');
  else {
    logger.error(
      { host: limits.host, setting: 'bridge.allowAnonymous' },
      `ANONYMOUS BRIDGE ON ${limits.host}: anyone who can reach this address may publish readings for any device (bridge.allowAnonymous is true). Set bridge.registryFile for production.`,
    );
  }

  const listeners = await openListeners(broker, config.bridge, limits.maxConnections, () => {
    metrics.refused('max_connections');
    logger.warn({ max: limits.maxConnections }, 'bridge.maxConnections reached: connection refused');
  });
  const metricsServer =
    limits.metricsPort === undefined ? undefined : await startMetricsServer(metrics, health ?? sinkHealthOf(sink), limits.metricsPort, limits.host);
  logger.info({ port: listeners.port, tlsPort: listeners.tlsPort, wsPort: listeners.wsPort, metricsPort: metricsServer?.port }, 'bridge listening');

  return {
    server: broker,
    broker: broker.router,
    listeners,
    metrics,
    metricsServer,
    registry: () => registry,
    async close() {
      source?.close();
      rates.close();
      await metricsServer?.close();
      await new Promise<void>((resolve) => broker.closeAll(() => resolve()));
      await listeners.close();
    },
  };
}
