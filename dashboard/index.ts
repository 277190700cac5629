/**
 * `kots dashboard`: the fleet, the weather and the surreal events at a glance.
 * Live data comes from a read-only MQTT subscription (readings, status,
 * health) and from surreal events (the in-process hook of `kots up`, or the
 * Kafka events topic); history comes from the lake through DuckDB. The page
 * is served on node:http with server-sent events; every data endpoint needs a
 * login checked against the bridge's registry.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { resolveCity } from '../agent/cities.js';
import type { SurrealAlert } from '../consumer/pipeline.js';
import type { CityConfig, KotsConfig } from '../core/config/index.js';
import { errorMessage } from '../core/errors.js';
import { openLakeDatabase, type LakeDatabase } from '../lakehouse/database.js';
import { LakeHistory } from './history.js';
import { startKafkaEventFeed, type KafkaEventFeed } from './kafka-events.js';
import { LiveState } from './live-state.js';
import { startBrokerFeed, startMqttFeed } from './mqtt-feed.js';
import { openOperatorDirectory, type OperatorDirectory } from './operators.js';
import { createDashboardServer } from './server.js';

export { LiveState } from './live-state.js';
export { RegistryOperators, type OperatorDirectory, type Operator } from './operators.js';

/** Surreal events announced in the same process (`kots up` passes its consumer's onAlert here). */
export class AlertRelay {
  private readonly listeners = new Set<(alert: SurrealAlert) => void>();

  publish(alert: SurrealAlert): void {
    for (const listener of this.listeners) listener(alert);
  }

  subscribe(listener: (alert: SurrealAlert) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface DashboardOptions {
  config: KotsConfig;
  logger: Logger;
  /** Broker to subscribe to; default dashboard.brokerUrl, else mqtt.url. */
  brokerUrl?: string;
  /** An embedded broker in this process (`kots up`): followed directly, instead of over MQTT with a login. */
  broker?: Aedes;
  /** In-process events; without them the dashboard follows the Kafka events topic when Kafka is configured. */
  alerts?: AlertRelay;
  /** Cities shown before they report (a tile each); default up.cities when configured. */
  cities?: readonly CityConfig[];
  /** Default: the registry's users (bridge.registryFile). */
  operators?: OperatorDirectory;
  openDatabase?: () => Promise<LakeDatabase>;
}

export interface DashboardHandle {
  readonly url: string;
  readonly port: number;
  readonly state: LiveState;
  close(): Promise<void>;
}

export async function startDashboard(options: DashboardOptions): Promise<DashboardHandle> {
  const { config, logger } = options;
  const settings = config.dashboard;
  const operators = options.operators ?? (await openOperatorDirectory(config, logger));
  const cities = (options.cities ?? config.up.cities ?? []).map(resolveCity);
  const state = new LiveState(
    settings.silentAfterSeconds,
    cities.map(({ slug, name, country, lat, lon }) => ({ slug, name, ...(country ? { country } : {}), lat, lon })),
  );
  const history = new LakeHistory(options.openDatabase ?? (() => openLakeDatabase(config)), settings.lakeRefreshSeconds * 1000);

  // The seed only fills the page faster; a lake that cannot be read yet does not stop the live view.
  try {
    const seed = await history.seed();
    for (const city of seed.cities) state.seedCity(city.city, city.current, city.perMinute);
    for (const event of [...seed.events].reverse()) state.addEvent(event);
  } catch (error) {
    logger.warn({ err: errorMessage(error) }, 'dashboard: could not read history from the lake; live data only until it can');
  }

  const mqtt = options.broker
    ? startBrokerFeed(options.broker, state, logger)
    : startMqttFeed({
        url: options.brokerUrl ?? settings.brokerUrl ?? config.mqtt.url,
        ...(settings.mqttUsername ? { username: settings.mqttUsername } : {}),
        ...(settings.mqttPassword ? { password: settings.mqttPassword } : {}),
        state,
        logger,
      });
  let unsubscribeAlerts: (() => void) | undefined;
  let kafkaEvents: KafkaEventFeed | undefined;
  if (options.alerts) unsubscribeAlerts = options.alerts.subscribe((alert) => state.addEvent(alert));
  else if (config.kafka.brokers.length > 0) kafkaEvents = await startKafkaEventFeed(config, logger, (event) => state.addEvent(event));

  const { server, closeStreams } = createDashboardServer({
    state,
    history,
    operators,
    sessionHours: settings.sessionHours,
    secureCookie: settings.secureCookie,
    logger,
  });
  server.listen(settings.port ?? 0, settings.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  logger.info({ url }, 'dashboard listening');

  return {
    url,
    port,
    state,
    async close() {
      closeStreams();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      unsubscribeAlerts?.();
      await Promise.allSettled([mqtt.close(), kafkaEvents?.close()]);
      await history.close();
      operators.close();
    },
  };
}
