/**
 * The agent's connection to the broker. One MQTT.js client per connection,
 * without MQTT.js's own reconnect: reconnects go through our back-off, and
 * what was in flight when a connection died is re-sent from the disk spool
 * (the spool, not MQTT.js's in-memory store, is the source of truth).
 *
 * Each connection announces the device: retained `online` on the status
 * topic, with a retained `offline` last will for when it vanishes.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type pino from 'pino';
import { KotsError, errorMessage } from '../core/errors.js';
import { mqttUrlOptions } from '../core/mqtt-url.js';
import type { KotsConfig } from '../core/config/index.js';
import { Backoff } from './backoff.js';

export interface LinkOptions {
  mqtt: KotsConfig['mqtt'];
  clientId: string;
  statusTopic: string;
  /** Topics to subscribe on every connection (QoS 1). */
  subscriptions: string[];
  reconnectMinMs: number;
  reconnectMaxMs: number;
  logger: pino.Logger;
  /** `receiveMaximum`: how many unacknowledged QoS 1 publishes the broker accepts (MQTT 5 CONNACK; undefined: not said). */
  onUp: (client: MqttClient, broker: { receiveMaximum: number | undefined }) => void;
  onDown: () => void;
  onMessage: (topic: string, payload: Buffer) => void;
  onError: (message: string) => void;
  /** Shortest time between two "cannot reach the broker" warnings of one outage (default 60 s). */
  failureWarnEveryMs?: number;
}

/** Failed connection attempts of the current outage, so that its warnings can be few and counted. */
interface Outage {
  since: number;
  attempts: number;
  lastWarnAt: number;
  /** Attempts not yet mentioned in a warning. */
  unreported: number;
}

export class MqttLink {
  private client: MqttClient | undefined;
  private connected = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;
  private readonly tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'>;
  private protocolVersion: 4 | 5;
  /** Why the last attempt failed (the client's error), for the warning when its connection closes. */
  private lastReason: string | undefined;
  private outage: Outage | undefined;

  constructor(private readonly options: LinkOptions) {
    this.backoff = new Backoff({ minMs: options.reconnectMinMs, maxMs: options.reconnectMaxMs });
    this.tls = readTlsFiles(options.mqtt);
    this.protocolVersion = options.mqtt.protocolVersion;
  }

  /** The MQTT version in use (5 falls back to 3.1.1 when the broker refuses 5). */
  version(): 4 | 5 {
    return this.protocolVersion;
  }

  start(): void {
    this.connect();
  }

  isUp(): boolean {
    return this.connected;
  }

  /** Says goodbye (retained `offline`) when connected, then closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const wasConnected = this.connected;
    if (wasConnected) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        client.publish(this.options.statusTopic, 'offline', { qos: 1, retain: true }, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.connected = false;
    // A graceful DISCONNECT tells the broker not to send the last will; `offline` is already there.
    await new Promise<void>((resolve) => client.end(!wasConnected, {}, () => resolve()));
    client.removeAllListeners();
    client.on('error', () => {});
  }

  private connect(): void {
    if (this.stopped) return;
    const { mqtt: settings, clientId, statusTopic } = this.options;
    const client = mqtt.connect({
      ...mqttUrlOptions(settings.url),
      clientId,
      // The disk spool keeps what is unacknowledged; a broker-side session would only duplicate it.
      clean: true,
      protocolVersion: this.protocolVersion,
      keepalive: settings.keepaliveSeconds,
      connectTimeout: 10_000,
      reconnectPeriod: 0,
      // mqtt-packet's default cache of 65,536 two-byte message-id Buffers costs ~7 MB of heap (found in a heap snapshot).
      writeCache: false,
      ...(settings.username !== undefined ? { username: settings.username } : {}),
      ...(settings.password !== undefined ? { password: settings.password } : {}),
      ...this.tls,
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('connect', (connack) => {
      if (client !== this.client) return;
      this.connected = true;
      this.backoff.reset();
      if (this.outage) {
        const seconds = Math.round((Date.now() - this.outage.since) / 1000);
        this.options.logger.info(
          { url: settings.url, attempts: this.outage.attempts, seconds },
          `reached the broker again after ${this.outage.attempts} failed attempts over ${seconds} s`,
        );
        this.outage = undefined;
      }
      // Small QoS 1 publishes and their PUBACKs must not wait for Nagle's algorithm.
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      this.options.logger.info({ url: settings.url }, 'connected to the broker');
      client.publish(statusTopic, 'online', { qos: 1, retain: true });
      if (this.options.subscriptions.length > 0) {
        client.subscribe(this.options.subscriptions, { qos: 1 }, (error) => {
          if (error) this.options.onError(`subscribe failed: ${errorMessage(error)}`);
        });
      }
      this.options.onUp(client, { receiveMaximum: connack.properties?.receiveMaximum });
    });
    client.on('message', (topic, payload) => {
      if (client === this.client) this.options.onMessage(topic, payload);
    });
    client.on('error', (error) => {
      if (client !== this.client) return;
      const code = (error as { code?: unknown }).code;
      // aedes speaks MQTT 3.1.1 only and answers a v5 CONNECT with "unacceptable protocol version" (1; 0x84 in v5 terms).
      if (this.protocolVersion === 5 && (code === 1 || code === 0x84)) {
        this.protocolVersion = 4;
        this.options.logger.warn('the broker refused MQTT 5; using MQTT 3.1.1 (set mqtt.protocolVersion: 4 to skip this attempt)');
        this.backoff.reset();
        return;
      }
      this.lastReason = describeConnectError(error);
      this.options.onError(`mqtt: ${errorMessage(error)}`);
    });
    client.on('close', () => {
      if (client !== this.client || this.stopped) return;
      const wasUp = this.connected;
      this.connected = false;
      this.client = undefined;
      // Forced end: in-flight callbacks fail now; the spool re-sends them on the next connection.
      client.end(true);
      client.removeAllListeners();
      client.on('error', () => {});
      if (wasUp) {
        this.options.logger.warn('lost the broker; readings stay in the spool');
        this.options.onDown();
      }
      const delay = this.backoff.next();
      if (!wasUp) this.reportFailedAttempt(delay);
      this.lastReason = undefined;
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  /**
   * A connection that never came up: a warning with the reason and the next try, the first
   * time and then at most once per `failureWarnEveryMs`, counting the attempts in between, so
   * a night-long outage costs a few lines and the first one is never hidden at debug level.
   */
  private reportFailedAttempt(delayMs: number): void {
    const now = Date.now();
    this.outage ??= { since: now, attempts: 0, lastWarnAt: 0, unreported: 0 };
    const outage = this.outage;
    outage.attempts++;
    outage.unreported++;
    const every = this.options.failureWarnEveryMs ?? 60_000;
    if (outage.attempts > 1 && now - outage.lastWarnAt < every) return;
    const url = this.options.mqtt.url;
    const reason = this.lastReason ?? 'the connection closed before the broker accepted it';
    const nextTry = new Date(now + delayMs).toISOString();
    const message =
      outage.attempts === 1
        ? `cannot reach the broker at ${url}: ${reason}; next try in ${formatDelay(delayMs)}; readings wait in the spool`
        : `still cannot reach the broker at ${url}: ${reason}; ${outage.unreported} more failed attempts since the last warning (down since ${new Date(outage.since).toISOString()}); next try in ${formatDelay(delayMs)}`;
    this.options.logger.warn({ url, reason, attempts: outage.attempts, nextTry }, message);
    outage.lastWarnAt = now;
    outage.unreported = 0;
  }
}

/** The broker's refusal or the network's reason, in words. */
function describeConnectError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused (is the broker running on that port?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `unknown host ${(error as { hostname?: string }).hostname ?? ''}`.trim();
  if (code === 'ETIMEDOUT' || /timeout/i.test(error.message)) return 'no answer (timed out)';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (/Not authorized|Bad username or password/i.test(error.message))
    return `${error.message}: check mqtt.username and mqtt.password (or the device's credential)`;
  return errorMessage(error);
}

function formatDelay(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function readTlsFiles(settings: KotsConfig['mqtt']): Pick<IClientOptions, 'ca' | 'cert' | 'key'> {
  const read = (file: string | undefined, setting: string) => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new KotsError('CONFIG_INVALID', `cannot read ${setting} ${file}: ${errorMessage(error)}`, { cause: error });
    }
  };
  const ca = read(settings.caFile, 'mqtt.caFile');
  const cert = read(settings.certFile, 'mqtt.certFile');
  const key = read(settings.keyFile, 'mqtt.keyFile');
  if ((cert === undefined) !== (key === undefined)) {
    throw new KotsError('CONFIG_INVALID', 'mqtt.certFile and mqtt.keyFile go together: set both or neither');
  }
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}
