/**
 * The S3 server goes away for 30 s while readings keep coming: the consumer
 * retries, stops fetching once its buffers are full (memory stays bounded),
 * and when S3 returns every reading is written.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { silentLogger } from '../../core/log.js';
import { openLakeDatabase } from '../../lakehouse/database.js';
import { spawnKots, waitFor, type KotsProcess } from '../helpers/processes.js';
import { ownMinio, type OwnServer } from '../helpers/own-servers.js';
import { createBucket, testConfig, testEnvironment, uniqueName } from '../helpers/servers.js';
import { produceReadings, simulatedReadings } from '../helpers/streams.js';

const cleanup: Array<KotsProcess | OwnServer> = [];
afterEach(async () => {
  for (const item of cleanup.splice(0)) {
    if ('kill' in item) await item.kill('SIGKILL');
    else await item.stop();
  }
});

function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

describe('consumer with the S3 server stopped mid-stream', () => {
  it('loses nothing and keeps its memory bounded while S3 is down for 30 s', async () => {
    const minio = await ownMinio();
    await minio.start();
    cleanup.push(minio);
    const bucket = await createBucket(uniqueName('outage'), minio.endpoint);

    const env = { ...testEnvironment(bucket), S3_ENDPOINT: minio.endpoint };
    const config = testConfig(env);
    await ensureTopics(createKafka(config.kafka, silentLogger), config.kafka);
    const consumer = spawnKots(['consumer'], {
      ...env,
      KOTS_CONSUMER_BATCH_MAX_RECORDS: '2000',
      KOTS_CONSUMER_BATCH_MAX_AGE_MS: '300',
      KOTS_CONSUMER_MAX_BUFFERED_BYTES: String(2 * 1024 * 1024),
    });
    cleanup.unshift(consumer);

    // A full batch before the outage, so the baseline already holds what encoding a batch of
    // 2,000 takes (DuckDB's working memory); what grows after it is what the consumer buffers.
    const before = simulatedReadings(2000, { stepMinutes: 30 });
    await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, before);
    const count = async () => {
      const db = await openLakeDatabase(config);
      try {
        return Number((await db.connection.runAndReadAll('SELECT count(DISTINCT id) FROM raw_readings')).getRows()[0]![0]);
      } finally {
        db.close();
      }
    };
    await waitFor('the first readings in the lake', async () => (await count()) >= before.length, 60_000);
    const baseline = residentMb(consumer.child.pid!);

    await minio.stop();
    // 18,000 readings (~13 MB of JSON, several times that as objects) arrive while S3 is down: far more than the 2 MB the consumer may buffer.
    const during = simulatedReadings(3000, { from: new Date('2026-02-01T00:00:00Z'), stepMinutes: 5 });
    const producing = produceReadings(config.kafka.brokers, config.kafka.weatherTopic, during);
    let peak = baseline;
    const outageEnds = Date.now() + 30_000;
    while (Date.now() < outageEnds) {
      peak = Math.max(peak, residentMb(consumer.child.pid!));
      await new Promise((r) => setTimeout(r, 500));
    }
    await producing;
    expect(consumer.child.exitCode, consumer.output()).toBeNull();
    await minio.start();

    const total = before.length + during.length;
    let last = 0;
    const written = await waitFor(
      `${total} readings in the lake`,
      async () => {
        last = await count();
        return last >= total ? last : undefined;
      },
      180_000,
      5000,
    ).catch((error: Error) => {
      throw new Error(`${error.message} (had ${last}); consumer output:\n${consumer.output().slice(-12000)}`);
    });
    expect(written).toBe(total);
    expect(consumer.output()).toMatch(/lake unavailable while writing a batch; retrying/);
    // Buffering all 18,000 readings would grow the heap by well over 50 MB (buffers, readings and rows); the bound keeps it small.
    expect(peak - baseline, `RSS went from ${baseline.toFixed(0)} MB to ${peak.toFixed(0)} MB`).toBeLessThan(50);
  }, 360_000);
});
