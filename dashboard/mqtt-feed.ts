/**
 * The dashboard's read-only window on the fleet: one MQTT subscription to the
 * readings, the retained status and the health of every device. QoS 0: the
 * page shows "now", so a message lost in a reconnect costs nothing and the
 * broker never queues for a slow dashboard. `kots up` hands the dashboard its
 * embedded broker instead (startBrokerFeed), so the page needs no network
 * identity there and anonymous clients can be kept from reading the fleet.
 */
import type { Aedes, AedesPublishPacket } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { parseReading } from '../core/reading.js';
import { MQTT_TOPIC_ROOT, parseDeviceTopic } from '../core/topics.js';
import type { LiveState } from './live-state.js';

export const FLEET_TOPIC_FILTERS = ['weather', 'status', 'health'].map((kind) => `${MQTT_TOPIC_ROOT}/+/+/${kind}`);

export interface MqttFeedOptions {
  url: string;
  username?: string;
  password?: string;
  state: LiveState;
  logger: Logger;
}

export interface MqttFeed {
  readonly client: MqttClient;
  close(): Promise<void>;
}

export function startMqttFeed({ url, username, password, state, logger }: MqttFeedOptions): MqttFeed {
  const client = mqtt.connect(url, {
    clientId: `kots-dashboard-${Math.random().toString(16).slice(2, 10)}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 10_000,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  });
  let warned = false;
  client.on('connect', () => {
    warned = false;
    logger.info({ url }, 'dashboard subscribed to the fleet');
    client.subscribe(FLEET_TOPIC_FILTERS, { qos: 0 }, (error, granted) => {
      if (error) logger.error({ err: error.message }, 'dashboard subscription refused');
      // aedes and Mosquitto grant 128 to a filter the ACL denies, without an error.
      else if (granted?.some((g) => g.qos === 128))
        logger.error(
          { filters: granted.filter((g) => g.qos === 128).map((g) => g.topic) },
          'the broker denied the dashboard identity some topics (check its role in the registry)',
        );
    });
  });
  client.on('error', (error) => {
    if (warned) return;
    warned = true;
    logger.warn(
      { url, err: error.message },
      'dashboard cannot reach the broker; retrying (set dashboard.mqttUsername/mqttPassword if the bridge asks for a login)',
    );
  });
  client.on('message', (topic, payload) => applyFleetMessage(topic, payload, state, logger));
  return {
    client,
    close: () => client.endAsync(true).then(() => undefined),
  };
}

/** One message of the fleet's topics into the live state. */
function applyFleetMessage(topic: string, payload: Buffer, state: LiveState, logger: Logger): void {
  const parsed = parseDeviceTopic(topic);
  if (!parsed) return;
  if (parsed.kind === 'weather') {
    const verdict = parseReading(payload);
    // The bridge refuses a reading whose city or device differs from its topic; a dashboard on an external broker checks again.
    if (verdict.ok && verdict.reading.city.slug === parsed.city && verdict.reading.device_id === parsed.deviceId) state.addReading(verdict.reading);
  } else if (parsed.kind === 'status') {
    if (payload.length > 0) state.setStatus(parsed.city, parsed.deviceId, payload.toString('utf8').slice(0, 16));
  } else if (parsed.kind === 'health') {
    try {
      state.setHealth(parsed.city, parsed.deviceId, JSON.parse(payload.toString('utf8')));
    } catch {
      logger.debug({ topic }, 'health message is not JSON; ignored');
    }
  }
}

/** The same window on an embedded broker in this process (`kots up`): no client, no login. */
export function startBrokerFeed(broker: Aedes, state: LiveState, logger: Logger): { close(): Promise<void> } {
  const deliver = (packet: AedesPublishPacket, done: () => void) => {
    applyFleetMessage(packet.topic, Buffer.from(packet.payload), state, logger);
    done();
  };
  for (const filter of FLEET_TOPIC_FILTERS) broker.subscribe(filter, deliver, () => undefined);
  logger.info('dashboard following the fleet on the embedded broker');
  return {
    close: async () => {
      await Promise.all(FLEET_TOPIC_FILTERS.map((filter) => new Promise<void>((resolve) => broker.unsubscribe(filter, deliver, resolve))));
    },
  };
}
