/**
 * The real servers the suite talks to, started by scripts/servers/start.sh
 * (`.ci/run` does it). Each test makes throw-away topics, groups and buckets.
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type KotsConfig } from '../../core/config/index.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: start the test servers with scripts/servers/start.sh all and source scripts/servers/env.sh (or run .ci/run)`);
  return value;
}

export const servers = {
  get kafkaBrokers() {
    return required('KOTS_TEST_KAFKA_BROKERS').split(',');
  },
  get s3Endpoint() {
    return required('KOTS_TEST_S3_ENDPOINT');
  },
  get s3AccessKey() {
    return required('KOTS_TEST_S3_ACCESS_KEY');
  },
  get s3SecretKey() {
    return required('KOTS_TEST_S3_SECRET_KEY');
  },
  get mosquittoUrl() {
    return required('KOTS_TEST_MQTT_URL');
  },
  get duckdbExtensionDir() {
    return required('KOTS_DUCKDB_EXTENSION_DIR');
  },
};

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates a bucket on the shared S3 server, or on `endpoint` (a test's own MinIO). */
export async function createBucket(name = uniqueName('kots-test'), endpoint = servers.s3Endpoint): Promise<string> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: servers.s3AccessKey, secretAccessKey: servers.s3SecretKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: name }));
  client.destroy();
  return name;
}

/** Environment that points a kots process at the test servers with fresh topics and bucket. */
export function testEnvironment(bucket: string, suffix = uniqueName('t')): Record<string, string> {
  return {
    KAFKA_BROKERS: servers.kafkaBrokers.join(','),
    KOTS_KAFKA_WEATHER_TOPIC: `weather-${suffix}`,
    KOTS_KAFKA_DEAD_LETTER_TOPIC: `weather.dlq-${suffix}`,
    KOTS_KAFKA_EVENTS_TOPIC: `surreal-events-${suffix}`,
    KOTS_CONSUMER_GROUP_ID: `kots-consumer-${suffix}`,
    S3_ENDPOINT: servers.s3Endpoint,
    S3_BUCKET: bucket,
    AWS_ACCESS_KEY_ID: servers.s3AccessKey,
    AWS_SECRET_ACCESS_KEY: servers.s3SecretKey,
    KOTS_DUCKDB_EXTENSION_DIRECTORY: servers.duckdbExtensionDir,
    KOTS_LOG_LEVEL: 'warn',
  };
}

export function testConfig(env: Record<string, string>, overrides: Record<string, unknown> = {}): KotsConfig {
  return loadConfig({ env, overrides });
}
