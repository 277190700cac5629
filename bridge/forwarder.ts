/**
 * Decides what happens to one published reading: valid and consistent with
 * its topic -> `weather`; anything else -> `weather.dlq` with the reason. The
 * returned promise settles only when the record is durable, and the broker
 * holds the device's PUBACK until then.
 *
 * The device's bytes go to Kafka as they are (no copy, no re-encoding), so
 * they must mean exactly what was checked: keys the contract does not name,
 * duplicate keys and deep nesting are refused (parseReading, `refuse` mode),
 * and every reader downstream sees the reading the bridge validated.
 */
import type { Logger } from 'pino';
import { HEADERS, type OutgoingRecord, type ReadingSink } from '../core/bus.js';
import { parseReading, READING_VERSION } from '../core/reading.js';
import { parseDeviceTopic, type ParsedDeviceTopic } from '../core/topics.js';
import { cityMismatch } from './city-check.js';
import type { BridgeMetrics } from './metrics.js';
import type { Registry } from './registry/registry.js';

export type ForwardOutcome = 'forwarded' | 'dead-lettered';

const SCHEMA_VERSION = String(READING_VERSION);

export class ReadingForwarder {
  constructor(
    private readonly sink: ReadingSink,
    private readonly metrics: BridgeMetrics,
    private readonly logger: Logger,
    /** The registry in force, for the city check (undefined: anonymous devices, nothing to check against). */
    private readonly registry: () => Registry | undefined = () => undefined,
  ) {}

  /** `topic`: the caller's parse of `mqttTopic`, when it has one (the bridge's access check parsed it already). */
  async forward(mqttTopic: string, payload: Buffer, receivedAt = new Date(), topic = parseDeviceTopic(mqttTopic)): Promise<ForwardOutcome> {
    const headers: Record<string, string> = {
      [HEADERS.mqttTopic]: mqttTopic.slice(0, 256),
      [HEADERS.receivedAt]: receivedAt.toISOString(),
      [HEADERS.device]: topic?.deviceId ?? 'unknown',
    };
    const verdict = parseReading(payload, { unknownKeys: 'refuse' });
    if (!verdict.ok) return this.refuse(mqttTopic, topic, payload, headers, verdict.reason);
    if (!topic) return this.refuse(mqttTopic, topic, payload, headers, `topic ${mqttTopic} is not kots/v1/<city>/<device>/weather`);
    if (verdict.reading.device_id !== topic.deviceId || verdict.reading.city.slug !== topic.city) {
      return this.refuse(
        mqttTopic,
        topic,
        payload,
        headers,
        `payload identity ${verdict.reading.city.slug}/${verdict.reading.device_id} does not match topic ${topic.city}/${topic.deviceId}`,
      );
    }
    const wrongCity = cityMismatch(verdict.reading, this.registry());
    if (wrongCity !== undefined) return this.refuse(mqttTopic, topic, payload, headers, wrongCity);
    const started = performance.now();
    headers[HEADERS.schemaVersion] = SCHEMA_VERSION;
    await this.sink.sendReadings([{ key: verdict.reading.city.slug, value: payload, headers }]);
    this.metrics.forwarded(performance.now() - started);
    return 'forwarded';
  }

  private async refuse(
    mqttTopic: string,
    topic: ParsedDeviceTopic | undefined,
    payload: Buffer,
    headers: Record<string, string>,
    reason: string,
  ): Promise<ForwardOutcome> {
    const record: OutgoingRecord = {
      key: topic?.city ?? 'unknown',
      value: payload,
      headers: { ...headers, [HEADERS.reason]: reason, [HEADERS.stage]: 'bridge' },
    };
    this.metrics.rejected(reasonLabel(reason));
    this.logger.warn({ topic: mqttTopic.slice(0, 256), reason }, 'reading refused; sent to the dead-letter topic');
    await this.sink.sendDeadLetters([record]);
    return 'dead-lettered';
  }
}

/** A small fixed set of labels for metrics (the full reason goes to the DLQ header and the log). */
function reasonLabel(reason: string): string {
  if (reason.startsWith('not JSON')) return 'not_json';
  if (reason.startsWith('not UTF-8')) return 'not_utf8';
  if (reason.startsWith('too large')) return 'too_large';
  if (reason.startsWith('unsupported reading version')) return 'bad_version';
  if (reason.startsWith('payload identity')) return 'identity_mismatch';
  if (reason.startsWith('city name')) return 'city_mismatch';
  if (reason.includes('duplicate keys')) return 'duplicate_key';
  if (reason.startsWith('nested deeper')) return 'too_deep';
  if (reason.includes('unknown key')) return 'unknown_key';
  if (reason.startsWith('topic')) return 'bad_topic';
  return 'schema';
}
