/**
 * `kots bridge`: the fleet's MQTT front door. Readings published under
 * kots/v1/<city>/<device>/weather are validated and handed to the sink; the
 * device's PUBACK is written only when the sink says the reading is durable
 * (aedes sends the PUBACK after authorizePublish calls back, see DESIGN.md).
 */
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import type { ReadingSink } from '../core/bus.js';
import type { KotsConfig } from '../core/config/index.js';
import { errorMessage } from '../core/errors.js';
import { parseDeviceTopic } from '../core/topics.js';
import { ReadingForwarder } from './forwarder.js';
import { openListeners, type Listeners } from './listeners.js';
import { BridgeMetrics } from './metrics.js';

export interface BridgeOptions {
  config: KotsConfig;
  sink: ReadingSink;
  logger: Logger;
}

export interface BridgeHandle {
  readonly broker: Aedes;
  readonly listeners: Listeners;
  readonly metrics: BridgeMetrics;
  close(): Promise<void>;
}

export async function startBridge({ config, sink, logger }: BridgeOptions): Promise<BridgeHandle> {
  const metrics = new BridgeMetrics();
  const forwarder = new ReadingForwarder(sink, metrics, logger);
  const limits = config.bridge;

  const broker = await Aedes.createBroker({
    id: 'kots-bridge',
    authorizePublish: (client, packet, callback) => {
      if (!client) return callback(null); // the broker's own messages (wills are checked at CONNECT)
      if (packet.payload.length > limits.maxPayloadBytes) {
        metrics.refused('payload_too_large');
        logger.warn({ client: client.id, bytes: packet.payload.length }, 'payload over bridge.maxPayloadBytes; disconnecting');
        return callback(new Error('payload too large'));
      }
      const topic = parseDeviceTopic(packet.topic);
      if (topic?.kind !== 'weather') return callback(null);
      metrics.received();
      metrics.inFlight++;
      forwarder
        .forward(packet.topic, Buffer.from(packet.payload))
        .then(
          () => callback(null),
          (error) => {
            logger.error({ err: errorMessage(error) }, 'reading not forwarded; the device will send it again');
            callback(error as Error);
          },
        )
        .finally(() => metrics.inFlight--);
    },
  });
  broker.on('client', () => {
    metrics.connections++;
    metrics.connectionsTotal++;
  });
  broker.on('clientDisconnect', () => metrics.connections--);
  broker.on('clientError', (client, error) => logger.debug({ client: client.id, err: error.message }, 'client error'));

  const listeners = await openListeners(broker, config.bridge, limits.maxConnections);
  logger.info({ port: listeners.port, tlsPort: listeners.tlsPort, wsPort: listeners.wsPort }, 'bridge listening');

  return {
    broker,
    listeners,
    metrics,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await listeners.close();
    },
  };
}
