/**
 * Consumer throughput: records per second from Kafka to Parquet objects on the
 * S3 server (validation, event rules, Parquet encoding, upload, commit), next to
 * the rate at which a bare kafkajs consumer only reads the same topic (the
 * ceiling set by the Kafka client on this machine).
 *
 * `kots consumer` runs as its own process, as in production, so its peak RSS
 * (VmHWM) is the consumer's alone; progress is read from its /metrics. The
 * clock starts when its metrics server answers (the consumer has started
 * joining the group, as the reference has when its clock starts).
 *
 *   . scripts/servers/env.sh && npx tsx bench/consumer-throughput.ts [readings=100000] [--profile DIR] [--node-options "FLAGS"]
 *
 * --profile DIR writes a V8 CPU profile of the consumer process into DIR; --node-options passes
 * Node flags to it (e.g. "--max-old-space-size=96 --max-semi-space-size=4" to cap the V8 heap).
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { createKafka, ensureTopics } from '../core/kafka.js';
import { silentLogger } from '../core/log.js';
import { freePort } from '../test/helpers/own-servers.js';
import { spawnKots } from '../test/helpers/processes.js';
import { createBucket, testConfig, testEnvironment, uniqueName } from '../test/helpers/servers.js';
import { produceReadings, simulatedReadings } from '../test/helpers/streams.js';

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const profileDir = option('--profile');
const nodeOptions = option('--node-options')?.split(' ') ?? [];
const total = Number(args[0] ?? 100_000);
const cities = 6;

const env = testEnvironment(await createBucket(uniqueName('bench')));
const config = testConfig(env, { 'kafka.partitions': 3 });
await ensureTopics(createKafka(config.kafka, silentLogger), config.kafka);
// Produced a slice at a time, so the bench itself holds little while it runs.
let bytes = 0;
const perSlice = 6_000;
for (let done = 0; done < total; done += perSlice) {
  const count = Math.min(perSlice, total - done);
  const from = new Date(Date.UTC(2026, 0, 1) + (done / cities) * 10 * 60_000);
  const slice = simulatedReadings(Math.ceil(count / cities), { from, stepMinutes: 10 }).slice(0, count);
  bytes += slice.reduce((n, r) => n + JSON.stringify(r).length, 0);
  await produceReadings(config.kafka.brokers, config.kafka.weatherTopic, slice);
}
console.log(
  `topic ${config.kafka.weatherTopic}: ${total} readings, ${(bytes / 1e6).toFixed(1)} MB of JSON, 3 partitions, ${cities} cities, ${Math.round(total / cities / 144)} simulated days`,
);

// Reference: a bare kafkajs consumer that only reads.
let referenceRate: number;
let referenceCpu: number;
{
  const kafka = new Kafka({ clientId: 'bench-ref', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('bench-ref') });
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.weatherTopic, fromBeginning: true });
  let seen = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= total) resolve();
      },
    });
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await consumer.disconnect();
  referenceRate = total / seconds;
  referenceCpu = (cpu.user + cpu.system) / total;
  console.log(
    `reference, kafkajs read only:        ${Math.round(referenceRate).toLocaleString('en')} records/s (${seconds.toFixed(1)} s), CPU ${referenceCpu.toFixed(0)} µs a record`,
  );
}

// kots consumer: Kafka -> events -> Parquet -> S3 -> commit, in its own process.
{
  const port = await freePort();
  // Default settings: the last, partial batch of each partition waits for consumer.batchMaxAgeMs.
  const child = spawnKots(['consumer'], { ...env, KOTS_KAFKA_PARTITIONS: '3', KOTS_CONSUMER_METRICS_PORT: String(port) }, [
    ...nodeOptions,
    ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ]);
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  const scrape = async () => {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    } catch {
      return undefined;
    }
  };
  while ((await scrape()) === undefined) {
    if (child.child.exitCode !== null) throw new Error(`kots consumer exited:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Each partition's last, partial batch waits for consumer.batchMaxAgeMs (5 s) before it is
  // written; the rate is taken over the full batches, so it is the consumer's and not the timer's.
  const batchSize = config.consumer.batchMaxRecords;
  const admin = createKafka(config.kafka, silentLogger).admin();
  await admin.connect();
  const tail = (await admin.fetchTopicOffsets(config.kafka.weatherTopic)).reduce((n, p) => n + (Number(p.high) % batchSize), 0);
  await admin.disconnect();
  const fullBatches = total - tail;
  const first = (await scrape()) ?? '';
  const started = performance.now();
  let text = '';
  let fullBatchesSeconds = 0;
  let atFullBatches = '';
  while (metric(text, 'kots_consumer_records_written_total') < total) {
    if (child.child.exitCode !== null) throw new Error(`kots consumer exited:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
    text = (await scrape()) ?? text;
    if (!fullBatchesSeconds && metric(text, 'kots_consumer_records_written_total') >= fullBatches) {
      fullBatchesSeconds = (performance.now() - started) / 1000;
      atFullBatches = text;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const mib = (name: string) => `${(metric(text, name) / 2 ** 20).toFixed(0)} MiB`;
  console.log(
    `consumer memory at the end: resident ${mib('process_resident_memory_bytes')}, V8 heap ${mib('nodejs_heap_size_total_bytes')} (used ${mib('nodejs_heap_size_used_bytes')}), external ${mib('nodejs_external_memory_bytes')}`,
  );
  const peakRss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.child.pid}/status`, 'utf8'))![1]) * 1024;
  // CPU seconds the consumer spent (all its threads, DuckDB's included) while it worked: on a shared machine a steadier figure than the wall time.
  const cpuSeconds = metric(atFullBatches, 'process_cpu_seconds_total') - metric(first, 'process_cpu_seconds_total');
  await child.kill('SIGTERM');

  const rate = fullBatches / fullBatchesSeconds;
  console.log(
    `kots consumer, Kafka -> Parquet on S3: ${Math.round(rate).toLocaleString('en')} records/s (${fullBatches} records in full batches in ${fullBatchesSeconds.toFixed(1)} s; all ${total} in ${seconds.toFixed(1)} s), ` +
      `${metric(text, 'kots_consumer_lake_objects_written_total')} objects, ${metric(text, 'kots_consumer_events_total')} events, ` +
      `batch ${config.consumer.batchMaxRecords} records or ${config.consumer.batchMaxAgeMs / 1000} s, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  const batches = metric(text, 'kots_consumer_batch_write_seconds_count');
  console.log(
    `consumer CPU: ${cpuSeconds.toFixed(1)} s, ${((cpuSeconds * 1e6) / fullBatches).toFixed(0)} µs a record; ` +
      `${batches} batches, ${(metric(text, 'kots_consumer_batch_write_seconds_sum') / batches).toFixed(2)} s to write one on average`,
  );
  console.log(
    `ratio: ${(rate / referenceRate).toFixed(2)}x the bare read's rate; it spends ${((cpuSeconds * 1e6) / fullBatches / referenceCpu).toFixed(1)}x its CPU a record`,
  );
}
console.log(
  `command: . scripts/servers/env.sh && npx tsx bench/consumer-throughput.ts ${total}${nodeOptions.length ? ` --node-options "${nodeOptions.join(' ')}"` : ''}`,
);
process.exit(0);
