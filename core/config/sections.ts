import { z } from 'zod';
import { citySchema } from './agent.js';
import { hostPort, logLevel, port, secret } from './common.js';

export const logSection = z
  .object({
    level: logLevel.default('info').describe('Log level.'),
    pretty: z.boolean().default(false).describe('Human-readable logs instead of JSON lines.'),
  })
  .strict();

export const mqttSection = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'expected a URL such as mqtt://host:1883 or mqtts://host:8883').default('mqtt://127.0.0.1:1883').describe('Broker the agent (or the bridge in external mode) connects to.'),
    username: z.string().optional().describe('MQTT username (devices: their device id).'),
    password: secret.optional().describe('MQTT password (devices: the credential issued by `kots fleet provision`).'),
    caFile: z.string().optional().describe('CA certificate (PEM) that signed the broker\'s certificate.'),
    certFile: z.string().optional().describe('Client certificate (PEM), optional.'),
    keyFile: z.string().optional().describe('Client key (PEM), optional.'),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4).describe('MQTT 3.1.1 (4) or 5. The embedded aedes broker speaks 3.1.1; use 5 with an external broker that supports it.'),
    keepaliveSeconds: z.number().int().min(0).default(30).describe('MQTT keep-alive.'),
  })
  .strict();

export const bridgeSection = z
  .object({
    host: z.string().default('127.0.0.1').describe('Address the embedded broker listens on; 0.0.0.0 accepts devices from the network.'),
    port: port.default(1883).describe('MQTT over TCP port (0 picks a free port).'),
    tlsPort: port.optional().describe('MQTT over TLS port; needs tlsCertFile and tlsKeyFile.'),
    tlsCertFile: z.string().optional().describe('Server certificate (PEM) for TLS.'),
    tlsKeyFile: z.string().optional().describe('Server key (PEM) for TLS.'),
    wsPort: port.optional().describe('MQTT over WebSocket port (for browser dashboards).'),
    registryFile: z.string().optional().describe('Device registry (YAML with salted credential hashes); without it the bridge accepts anonymous devices.'),
    maxPayloadBytes: z.number().int().positive().default(16 * 1024).describe('Largest accepted MQTT payload.'),
    maxMessagesPerMinute: z.number().int().positive().default(600).describe('Per-device publish rate limit.'),
    maxConnections: z.number().int().positive().default(20_000).describe('Connections beyond this are refused.'),
    metricsPort: port.optional().describe('HTTP port of /metrics (Prometheus) and /healthz.'),
    externalBrokerUrl: z.string().optional().describe('Subscribe to this existing broker instead of embedding one.'),
    shareGroup: z.string().default('kots-bridge').describe('Shared-subscription group used in external broker mode.'),
  })
  .strict()
  .refine((b) => b.tlsPort === undefined || (b.tlsCertFile && b.tlsKeyFile), {
    message: 'tlsPort needs tlsCertFile and tlsKeyFile',
    path: ['tlsPort'],
  });

export const kafkaSection = z
  .object({
    brokers: z.array(hostPort).default([]).describe('Kafka bootstrap servers; empty means no Kafka (`kots up` then hands readings over in-process).'),
    clientId: z.string().default('kots').describe('Kafka client id.'),
    weatherTopic: z.string().default('weather').describe('Topic of valid readings (key: city slug).'),
    deadLetterTopic: z.string().default('weather.dlq').describe('Topic of refused readings, with the reason in headers.'),
    eventsTopic: z.string().default('surreal-events').describe('Topic of detected surreal events.'),
    partitions: z.number().int().positive().default(3).describe('Partitions of topics kots creates.'),
    replicationFactor: z.number().int().positive().default(1).describe('Replication factor of topics kots creates.'),
    ssl: z.boolean().default(false).describe('Connect to Kafka with TLS.'),
    saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional().describe('SASL mechanism, if the cluster needs one.'),
    saslUsername: z.string().optional().describe('SASL username.'),
    saslPassword: secret.optional().describe('SASL password.'),
  })
  .strict();

export const consumerSection = z
  .object({
    groupId: z.string().default('kots-consumer').describe('Kafka consumer group.'),
    batchMaxRecords: z.number().int().positive().default(5000).describe('A partition\'s batch is written when it holds this many records.'),
    batchMaxAgeMs: z.number().int().positive().default(5_000).describe('... or when its oldest record is this old.'),
    maxBufferedBytes: z.number().int().positive().default(64 * 1024 * 1024).describe('Fetching pauses while batches hold more than this.'),
  })
  .strict();

export const lakeSection = z
  .object({
    kind: z.enum(['local', 's3']).default('local').describe('Local folder or S3 bucket (set automatically to s3 when S3_ENDPOINT or S3_BUCKET is given).'),
    path: z.string().default('./kots-lake').describe('Folder of the local lake.'),
    bucket: z.string().optional().describe('S3 bucket of the lake.'),
    prefix: z.string().default('').describe('Key prefix inside the bucket.'),
    endpoint: z.url().optional().describe('S3 endpoint for S3-compatible stores (MinIO, ...); empty for AWS.'),
    region: z.string().default('us-east-1').describe('S3 region.'),
    accessKeyId: secret.optional().describe('S3 access key id (else the AWS default chain).'),
    secretAccessKey: secret.optional().describe('S3 secret access key.'),
    forcePathStyle: z.boolean().default(true).describe('Path-style addressing (needed by most S3-compatible stores).'),
  })
  .strict()
  .refine((l) => l.kind !== 's3' || l.bucket, { message: 'lake.kind is s3 but no bucket is set (lake.bucket or S3_BUCKET)', path: ['bucket'] });

export const duckdbSection = z
  .object({
    extensionDirectory: z.string().optional().describe('Pre-seeded DuckDB extension folder (for machines that cannot download httpfs); see scripts/servers/README.md.'),
  })
  .strict();

export const upSection = z
  .object({
    cities: z.array(citySchema).optional().describe('Cities simulated by `kots up` (default: Takamatsu, Nakano, Kochi, Reykjavik, Cairo, Singapore, Buenos Aires).'),
    agentsPerCity: z.number().int().positive().default(1).describe('Simulated agents per city.'),
    intervalMinSeconds: z.number().positive().default(1).describe('Shortest wait between readings of `kots up` agents.'),
    intervalMaxSeconds: z.number().positive().default(3).describe('Longest wait between readings of `kots up` agents.'),
    stateDir: z.string().default('./kots-state').describe('Spools and other local state of `kots up`.'),
  })
  .strict();
