/**
 * The stream between bridge and consumer: Kafka in production, an in-process
 * hand-over in `kots up` without Kafka. Both keep one rule: `send` resolves
 * only once the record is durable downstream, and only then may the bridge
 * acknowledge the device.
 */
export interface OutgoingRecord {
  key: string;
  value: Buffer;
  headers: Record<string, string>;
}

export interface BusRecord {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: Date;
  key: string | undefined;
  value: Buffer;
  headers: Record<string, string>;
}

/** What the bridge writes to. */
export interface ReadingSink {
  /** Valid readings, to the `weather` topic. Resolves when durable. */
  sendReadings(records: readonly OutgoingRecord[]): Promise<void>;
  /** Refused payloads, to the dead-letter topic (reason in the `kots-reason` header). */
  sendDeadLetters(records: readonly OutgoingRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Header names on `weather` and `weather.dlq`. */
export const HEADERS = {
  device: 'kots-device',
  mqttTopic: 'kots-mqtt-topic',
  receivedAt: 'kots-received-at',
  schemaVersion: 'kots-schema-version',
  reason: 'kots-reason',
  stage: 'kots-stage',
} as const;
