/**
 * External broker mode: instead of embedding aedes, the bridge joins an
 * existing broker (Mosquitto, EMQX, HiveMQ) as an MQTT 5 client with a shared
 * subscription, $share/<group>/kots/v1/+/+/weather, so several bridge processes
 * split the fleet's readings. The ack rule is the same as in embedded mode: the
 * bridge's PUBACK to the broker (which lets the broker forget the reading) is
 * sent only after Kafka acknowledged it (mqtt.js `customHandleAcks`).
 *
 * Authentication, ACLs and rate limits are then the broker's job (see
 * bridge/README.md for a Mosquitto example); the bridge still validates every
 * reading and refuses one whose payload identity does not match its topic.
 *
 * mqtt.js handles the packets of one connection one after another and the held
 * PUBACK holds the next packet too, so each connection has one reading in
 * flight: `bridge.externalConnections` connections give that many, and the
 * Kafka sink batches them together.
 */
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { HEADERS, type ReadingSink } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { errorMessage } from '../core/errors.js';
import { MQTT_TOPIC_ROOT, parseDeviceTopic } from '../core/topics.js';
import { ReadingForwarder } from './forwarder.js';
import { sinkHealthOf } from './index.js';
import { startMetricsServer, type MetricsServer, type SinkHealth } from './metrics-server.js';
import { BridgeMetrics } from './metrics.js';

export interface ExternalBridgeOptions {
  config: KotsConfig;
  sink: ReadingSink;
  logger: Logger;
  health?: () => SinkHealth;
}

export interface ExternalBridgeHandle {
  readonly clients: readonly MqttClient[];
  readonly metrics: BridgeMetrics;
  readonly metricsServer: MetricsServer | undefined;
  readonly subscription: string;
  close(): Promise<void>;
}

export function sharedSubscription(group: string): string {
  return `$share/${group}/${MQTT_TOPIC_ROOT}/+/+/weather`;
}

export async function startExternalBridge({ config, sink, logger, health }: ExternalBridgeOptions): Promise<ExternalBridgeHandle> {
  const settings = config.bridge;
  const url = settings.externalBrokerUrl;
  if (!url) throw new Error('startExternalBridge needs bridge.externalBrokerUrl');
  const metrics = new BridgeMetrics();
  const forwarder = new ReadingForwarder(sink, metrics, logger);
  const subscription = sharedSubscription(settings.shareGroup);
  const prefix =
    settings.externalClientId ??
    `kots-bridge-${hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '')
      .slice(0, 24)}`;
  let closing = false;

  const handle = async (topic: string, payload: Buffer): Promise<void> => {
    metrics.received();
    metrics.inFlight++;
    try {
      if (payload.length > settings.maxPayloadBytes) {
        // The broker let it through; keep the start of it for the record, not megabytes in Kafka.
        metrics.rejected('too_large');
        logger.warn({ topic: topic.slice(0, 200), bytes: payload.length }, 'payload over bridge.maxPayloadBytes: sent (truncated) to the dead-letter topic');
        const device = parseDeviceTopic(topic);
        await sink.sendDeadLetters([
          {
            key: device?.city ?? 'unknown',
            value: payload.subarray(0, settings.maxPayloadBytes),
            headers: {
              [HEADERS.mqttTopic]: topic.slice(0, 256),
              [HEADERS.receivedAt]: new Date().toISOString(),
              [HEADERS.device]: device?.deviceId ?? 'unknown',
              [HEADERS.reason]: `too large: ${payload.length} bytes (limit ${settings.maxPayloadBytes}); truncated`,
              [HEADERS.stage]: 'bridge',
            },
          },
        ]);
      } else {
        await forwarder.forward(topic, payload);
      }
    } finally {
      metrics.inFlight--;
    }
  };

  const clients: MqttClient[] = [];
  const connectedOnce: Array<Promise<void>> = [];
  for (let i = 0; i < settings.externalConnections; i++) {
    const clientId = `${prefix}-${i}`;
    const client = mqtt.connect(url, {
      clientId,
      protocolVersion: 5,
      // A persistent session: what this bridge received but had not acknowledged is re-delivered when it comes back.
      clean: false,
      properties: { sessionExpiryInterval: settings.externalSessionExpirySeconds },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...(settings.externalUsername !== undefined ? { username: settings.externalUsername } : {}),
      ...(settings.externalPassword !== undefined ? { password: settings.externalPassword } : {}),
      customHandleAcks: (topic, message, packet, done) => {
        if (packet.qos === 0) return done(0);
        handle(topic, Buffer.from(message)).then(
          () => done(0),
          (error: unknown) => {
            // No PUBACK: the broker keeps the reading for this session and sends it again after a reconnect.
            if (!closing) logger.error({ err: errorMessage(error), topic }, 'reading not forwarded; reconnecting so the broker sends it again');
            client.end(true);
            if (!closing) setTimeout(() => client.reconnect(), 1000);
          },
        );
      },
    });
    clients.push(client);
    connectedOnce.push(
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`external broker ${url} did not accept ${clientId} within 15 s`)), 15_000);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      }),
    );
    let up = false;
    client.on('connect', (connack) => {
      if (!up) metrics.connections++;
      up = true;
      metrics.connectionsTotal++;
      // A resumed session keeps its subscription; subscribing again is harmless and covers a fresh one.
      client.subscribe(subscription, { qos: 1 }, (error, granted) => {
        const code = granted?.[0]?.qos;
        if (error || code === undefined || code >= 0x80) {
          logger.error(
            { clientId, subscription, err: error ? errorMessage(error) : `reason code ${code}` },
            'the external broker refused the shared subscription',
          );
        } else logger.info({ clientId, subscription, sessionPresent: connack.sessionPresent }, 'subscribed on the external broker');
      });
    });
    client.on('close', () => {
      if (up) metrics.connections--;
      up = false;
    });
    client.on('error', (error) => logger.warn({ clientId, url, err: error.message }, 'external broker connection error'));
  }
  await Promise.all(connectedOnce);
  const metricsServer =
    settings.metricsPort === undefined ? undefined : await startMetricsServer(metrics, health ?? sinkHealthOf(sink), settings.metricsPort, settings.host);
  logger.info({ url, subscription, connections: clients.length, metricsPort: metricsServer?.port }, 'bridge consuming from the external broker');

  return {
    clients,
    metrics,
    metricsServer,
    subscription,
    async close() {
      closing = true;
      await metricsServer?.close();
      await Promise.all(clients.map((c) => c.endAsync(true)));
    },
  };
}
