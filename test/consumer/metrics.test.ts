/**
 * `kots consumer` with consumer.metricsPort serves /metrics and /healthz.
 * The consumer is held behind by its S3 server (its own, stopped once the
 * consumer runs) while readings arrive in Kafka: /metrics shows the lag of
 * every partition, /healthz says the lake is unavailable; once S3 is back the
 * lag drains to zero.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CONSUMER_V8_FLAGS } from '../../cli/commands/consumer.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { silentLogger } from '../../core/log.js';
import { spawnKots, waitFor, type KotsProcess } from '../helpers/processes.js';
import { freePort, ownMinio, type OwnServer } from '../helpers/own-servers.js';
import { createBucket, testConfig, testEnvironment, uniqueName } from '../helpers/servers.js';
import { produceReadings, simulatedReadings } from '../helpers/streams.js';

const cleanup: Array<KotsProcess | OwnServer> = [];
afterEach(async () => {
  for (const item of cleanup.splice(0)) {
    if ('kill' in item) await item.kill('SIGKILL');
    else await item.stop();
  }
});

/** Samples of one metric from the Prometheus text format, by their label set. */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (match) out.set(match[1] ?? '', Number(match[2]));
  }
  return out;
}

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

describe('consumer metrics on real Kafka', () => {
  it('shows the lag of each partition while the consumer is behind, and zero once it caught up', async () => {
    const minio = await ownMinio();
    await minio.start();
    cleanup.push(minio);
    const bucket = await createBucket(uniqueName('metrics'), minio.endpoint);
    const env = { ...testEnvironment(bucket), S3_ENDPOINT: minio.endpoint };
    const config = testConfig(env);
    await ensureTopics(createKafka(config.kafka, silentLogger), config.kafka);
    const port = await freePort();
    const consumer = spawnKots(['consumer'], { ...env, KOTS_CONSUMER_METRICS_PORT: String(port), KOTS_CONSUMER_BATCH_MAX_AGE_MS: '300' });
    cleanup.unshift(consumer);
    await waitFor(
      'the consumer in its group, lag on /metrics',
      async () => samples(await scrape(port), 'kots_consumer_lag_records').size === config.kafka.partitions,
      60_000,
    );
    // It runs with its memory settings (re-executed once, same pid).
    expect(readFileSync(`/proc/${consumer.child.pid}/cmdline`, 'utf8').split('\0')).toEqual(expect.arrayContaining(CONSUMER_V8_FLAGS));

    // The lake stops answering, then the readings arrive.
    await minio.stop();
    const readings = simulatedReadings(100, { stepMinutes: 30 });
    await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, readings);

    // Behind: every reading is in Kafka and none is committed, because the lake does not answer.
    const behind = await waitFor(
      'the lag of every reading on /metrics',
      async () => {
        const lag = samples(await scrape(port), 'kots_consumer_lag_records');
        return [...lag.values()].reduce((a, b) => a + b, 0) === readings.length ? lag : undefined;
      },
      60_000,
    );
    expect([...behind.keys()].sort()).toEqual(Array.from({ length: config.kafka.partitions }, (_, p) => `{partition="${p}"}`));
    expect([...behind.values()].reduce((a, b) => a + b, 0)).toBe(readings.length);
    expect([...behind.values()].filter((lag) => lag > 0).length, 'six cities spread over the partitions').toBeGreaterThanOrEqual(2);
    const degraded = await waitFor('/healthz reports the lake', async () => {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      return response.status === 503 ? ((await response.json()) as Record<string, unknown>) : undefined;
    });
    expect(degraded).toMatchObject({ status: 'degraded', lake: 'unavailable', kafka: 'up' });
    const waiting = await scrape(port);
    expect(
      [...samples(waiting, 'kots_consumer_lag_records').values()].reduce((a, b) => a + b, 0),
      'read but not committed',
    ).toBe(readings.length);
    expect(samples(waiting, 'kots_consumer_buffered_bytes').get('')).toBeGreaterThan(0);
    expect(samples(waiting, 'kots_consumer_lake_errors_total').get('')).toBeGreaterThan(0);

    await minio.start();
    const caughtUp = await waitFor(
      'zero lag on every partition',
      async () => {
        const text = await scrape(port);
        const lag = samples(text, 'kots_consumer_lag_records');
        return lag.size === config.kafka.partitions && [...lag.values()].every((n) => n === 0) ? text : undefined;
      },
      90_000,
    );
    expect(samples(caughtUp, 'kots_consumer_records_written_total').get('')).toBe(readings.length);
    expect(samples(caughtUp, 'kots_consumer_records_received_total').get('')).toBe(readings.length);
    expect(samples(caughtUp, 'kots_consumer_dead_lettered_total').get('')).toBe(0);
    expect(samples(caughtUp, 'kots_consumer_batch_write_seconds_count').get('')).toBeGreaterThan(0);
    expect(samples(caughtUp, 'kots_consumer_buffered_bytes').get('')).toBe(0);
    const healthy = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toMatchObject({ status: 'ok', lake: 'up', kafka: 'up', written: readings.length });
  });
});
