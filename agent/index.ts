/**
 * The edge agent: takes readings from its source at random intervals, puts
 * each one in the disk spool first, and sends the spool to the broker (QoS 1),
 * removing a reading only on its PUBACK. See agent/README.md.
 */
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import type pino from 'pino';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError, errorMessage } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { CurrentWeather, Reading } from '../core/reading.js';
import { deviceTopic } from '../core/topics.js';
import { resolveCity, type ResolvedCity } from './cities.js';
import { healthMessage, type AgentStats } from './health.js';
import { MqttLink } from './link.js';
import { RealTimePacer, SimulatedPacer, type Pacer } from './pacer.js';
import { buildReading, type ReadingContext } from './reading.js';
import { SpoolSender } from './sender.js';
import { applyRemoteSettings, settingsFromConfig, type SettingsInForce } from './settings.js';
import { createSource } from './sources/index.js';
import type { WeatherSource } from './sources/source.js';
import { DiskSpool } from './spool.js';

export { DEFAULT_CITIES, resolveCity, type ResolvedCity } from './cities.js';

export interface SimulatedClock {
  /** First moment simulated. */
  from: Date;
  /** Readings stop before this moment. */
  until: Date;
  /** Simulated seconds between readings (uniformly random in between). */
  intervalMinSeconds: number;
  intervalMaxSeconds: number;
}

export interface AgentOptions {
  config: KotsConfig;
  logger?: pino.Logger;
  /** stop after this many readings were taken (tests, `--count`) */
  maxReadings?: number;
  /** Take readings on a simulated clock as fast as the broker acknowledges (`kots simulate`). */
  simulation?: SimulatedClock;
}

export interface AgentHandle {
  readonly deviceId: string;
  stop(): Promise<void>;
  /** resolves when every taken reading got its PUBACK (spool empty) */
  drained(): Promise<void>;
  stats(): { taken: number; acked: number; spooled: number; dropped: number; lastError?: string };
  /** Resolves when the agent stopped taking readings by itself (count reached, simulation over); rejects on a fatal error such as a refused API key. */
  readonly finished: Promise<void>;
  /** The settings in force (config file, possibly overridden by the retained config topic). */
  settings(): SettingsInForce;
}

/** Readings in the spool beyond which a simulation waits for acknowledgements. */
const SIMULATION_BACKLOG = 200;
/** Readings a simulated clock takes (and fsyncs) at once. */
const SIMULATION_BATCH = 50;

export function agentLogger(config: KotsConfig): pino.Logger {
  // The factory every command uses, so log.level and log.format mean the same here (stdout stays for `--once`'s reading).
  return createLogger({ level: config.log.level, format: config.log.format, pretty: config.log.pretty, name: 'kots-agent' });
}

interface AgentIdentity {
  deviceId: string;
  city: ResolvedCity;
}

function identity(config: KotsConfig): AgentIdentity {
  const { deviceId, city } = config.agent;
  if (!deviceId || !city) {
    const missing = [deviceId ? undefined : 'agent.deviceId', city ? undefined : 'agent.city'].filter(Boolean);
    throw new KotsError(
      'CONFIG_INVALID',
      `${missing.join(' and ')} must be set for an agent (config file, or KOTS_AGENT_DEVICE_ID and KOTS_AGENT_CITY_NAME / _LAT / _LON)`,
    );
  }
  return { deviceId, city: resolveCity(city) };
}

/** Takes one reading without spool or broker (`kots agent --once`); its seq is 0, which no spooled reading has. */
export async function takeOneReading(config: KotsConfig, at = new Date()): Promise<Reading> {
  const { deviceId, city } = identity(config);
  const settings = settingsFromConfig(config.agent);
  const source = await createSource({ config, city, settings: () => settings });
  try {
    return buildReading({ deviceId, city, source: source.kind }, 0, at, await source.read(at));
  } finally {
    await source.close();
  }
}

export async function startAgent(options: AgentOptions): Promise<AgentHandle> {
  const { config } = options;
  const agentConfig = config.agent;
  const { deviceId, city } = identity(config);
  const logger = (options.logger ?? agentLogger(config)).child({ device: deviceId, city: city.slug });
  const maxReadings = options.maxReadings;

  const spool = DiskSpool.open(agentConfig.spoolDir, {
    maxBytes: agentConfig.spoolMaxBytes,
    onWarning: (message) => logger.warn(message),
  });
  if (spool.depth() > 0) logger.info({ depth: spool.depth() }, 'spool holds readings from an earlier run; sending them first');

  const baseSettings = settingsFromConfig(agentConfig);
  let settings = baseSettings;
  let source: WeatherSource;
  try {
    source = await createSource({ config, city, settings: () => settings });
  } catch (error) {
    spool.close();
    throw error;
  }

  const stats: AgentStats = { taken: 0, acked: 0, spooled: spool.depth(), dropped: 0, rejected: 0 };
  const fail = (message: string) => {
    stats.lastError = message;
  };
  const topics = {
    weather: deviceTopic(city.slug, deviceId, 'weather'),
    status: deviceTopic(city.slug, deviceId, 'status'),
    config: deviceTopic(city.slug, deviceId, 'config'),
    health: deviceTopic(city.slug, deviceId, 'health'),
  };

  let loopEnded = false;
  let drainWaiters: Array<() => void> = [];
  let roomWaiters: Array<() => void> = [];
  const refresh = () => {
    stats.spooled = spool.depth();
    stats.dropped = spool.dropped();
    if (spool.depth() < SIMULATION_BACKLOG) {
      const waiters = roomWaiters;
      roomWaiters = [];
      for (const wake of waiters) wake();
    }
    const allTaken = loopEnded || maxReadings === undefined || stats.taken >= maxReadings;
    if (spool.depth() === 0 && allTaken) {
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  const sender = new SpoolSender(spool, {
    topic: topics.weather,
    maxInFlight: agentConfig.maxInFlight,
    onAck: () => {
      stats.acked++;
      refresh();
    },
    onRejected: (seq, reason) => {
      stats.rejected++;
      fail(`broker refused reading seq ${seq}: ${reason}`);
      logger.error({ seq, reason }, 'broker refused a reading; it is removed from the spool');
      refresh();
    },
  });

  const publishHealth = () => {
    const client = linkClient;
    if (!client) return;
    const message = healthMessage({
      deviceId,
      at: new Date(),
      connected: true,
      stats,
      spoolBytes: spool.bytes(),
      settings,
      sourceKind: source.kind,
      source: source.health(),
    });
    client.publish(topics.health, JSON.stringify(message), { qos: 0 });
  };

  let linkClient: MqttClient | undefined;
  const link = new MqttLink({
    mqtt: config.mqtt,
    clientId: deviceId,
    statusTopic: topics.status,
    subscriptions: [topics.config],
    reconnectMinMs: agentConfig.reconnectMinSeconds * 1000,
    reconnectMaxMs: agentConfig.reconnectMaxSeconds * 1000,
    logger,
    onUp: (client, broker) => {
      linkClient = client;
      sender.attach(client, broker.receiveMaximum);
      publishHealth();
    },
    onDown: () => {
      linkClient = undefined;
      sender.detach();
    },
    onMessage: (topic, payload) => {
      if (topic !== topics.config) return;
      const verdict = applyRemoteSettings(baseSettings, payload);
      if (verdict.ok) {
        settings = verdict.settings;
        logger.info({ settings }, 'applied remote settings');
      } else {
        fail(verdict.reason);
        logger.warn(verdict.reason);
      }
      publishHealth();
    },
    onError: (message) => {
      fail(message);
      logger.debug(message);
    },
  });

  const pacer: Pacer = options.simulation
    ? new SimulatedPacer({
        from: options.simulation.from,
        until: options.simulation.until,
        intervals: { minSeconds: options.simulation.intervalMinSeconds, maxSeconds: options.simulation.intervalMaxSeconds },
        seed: agentConfig.seed,
        scope: deviceId,
        room: () => (spool.depth() < SIMULATION_BACKLOG ? Promise.resolve() : new Promise((resolve) => roomWaiters.push(resolve))),
      })
    : new RealTimePacer(() => ({ minSeconds: settings.intervalMinSeconds, maxSeconds: settings.intervalMaxSeconds }));

  const context: ReadingContext = { deviceId, city, source: source.kind };
  const takeReadings = async () => {
    while (maxReadings === undefined || stats.taken < maxReadings) {
      const room = maxReadings === undefined ? SIMULATION_BATCH : Math.min(SIMULATION_BATCH, maxReadings - stats.taken);
      const times = await pacer.next(room);
      if (times.length === 0) return;
      try {
        const observations: Array<{ at: Date; weather: CurrentWeather }> = [];
        for (const at of times) observations.push({ at, weather: await source.read(at) });
        // One fsync for the batch: a simulated clock has many readings ready at once.
        const firstSeq = spool.nextSeq();
        spool.append((seq) => {
          const observation = observations[seq - firstSeq];
          if (!observation) throw new Error(`the spool asked for seq ${seq}, outside the batch of ${observations.length} from ${firstSeq}`);
          return JSON.stringify(buildReading(context, seq, observation.at, observation.weather));
        }, observations.length);
        stats.taken += observations.length;
        refresh();
        sender.pump();
      } catch (error) {
        fail(errorMessage(error));
        if (error instanceof KotsError && !error.retryable && error.code !== 'READING_INVALID' && error.code !== 'SOURCE_FAILED') {
          // A refused API key or a broken spool does not heal by trying again every few seconds.
          logger.error({ code: error.code }, `stopping: ${error.message}`);
          throw error;
        }
        logger.warn({ code: (error as KotsError).code }, `reading skipped: ${errorMessage(error)}`);
      }
    }
  };

  let healthTimer: NodeJS.Timeout | undefined;
  const scheduleHealth = () => {
    healthTimer = setTimeout(() => {
      publishHealth();
      scheduleHealth();
    }, settings.healthIntervalSeconds * 1000);
    healthTimer.unref();
  };

  link.start();
  scheduleHealth();
  const finished = takeReadings().finally(() => {
    loopEnded = true;
    refresh();
  });
  // `finished` is also observed through stop(); keep an unobserved rejection from killing the process.
  finished.catch(() => {});
  logger.info({ topic: topics.weather, source: source.kind, spool: agentConfig.spoolDir }, 'agent started');

  let stopping: Promise<void> | undefined;
  return {
    deviceId,
    finished,
    settings: () => settings,
    stats: () => ({
      taken: stats.taken,
      acked: stats.acked,
      spooled: spool.depth(),
      dropped: spool.dropped(),
      ...(stats.lastError !== undefined ? { lastError: stats.lastError } : {}),
    }),
    drained: () =>
      new Promise<void>((resolve) => {
        drainWaiters.push(resolve);
        refresh();
      }),
    stop: () =>
      (stopping ??= (async () => {
        pacer.cancel();
        await finished.catch(() => {});
        if (healthTimer) clearTimeout(healthTimer);
        publishHealth();
        await link.stop();
        spool.close();
        await source.close();
        logger.info({ taken: stats.taken, acked: stats.acked, spooled: spool.depth() }, 'agent stopped');
      })()),
  };
}

/** Where `kots simulate` and `kots up` keep the spool of a device: one folder per device. */
export function deviceSpoolDir(root: string, deviceId: string): string {
  return join(root, deviceId);
}
