/**
 * The bridge's Kafka sinks alone at a steady rate: how long a reading waits between the bridge
 * handing it over and Kafka's acknowledgement (acks=all), the part of a device's PUBACK latency
 * that the producer owns. One reading per call, as the bridge hands them over, open loop.
 *
 *   source scripts/servers/env.sh
 *   npx tsx bench/sink-latency.ts [--rate 20000] [--seconds 10]
 *
 * Rows: kots' KafkaReadingSink (kafkajs) and LibrdkafkaReadingSink (librdkafka, when
 * scripts/bridge/install-librdkafka-client.sh has built it), fresh 3-partition topics on the
 * test Kafka, in one run.
 */
import { connectKafkaSink, type ProducerClient } from '../bridge/kafka-producer.js';
import type { KotsConfig } from '../core/config/index.js';
import { kafkaSection } from '../core/config/kafka.js';
import { librdkafkaClientInstalled } from '../core/librdkafka-client.js';
import { silentLogger } from '../core/log.js';
import { makeReading } from '../test/helpers/readings.js';
import { BENCH_CITIES as CITIES, benchArgs, KAFKA, loadAverage, sleep } from './helpers.js';

const args = benchArgs();
const RATE = Number(args.get('rate') ?? 20_000);
const SECONDS = Number(args.get('seconds') ?? 10);

interface Result {
  client: ProducerClient;
  offered: number;
  acked: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  cpuMsPer1000: number;
}

async function measure(producerClient: ProducerClient): Promise<Result> {
  const topic = `bench-sink-latency-${Date.now().toString(36)}`;
  const kafka = {
    ...kafkaSection.parse({ brokers: KAFKA, partitions: 3 }),
    producerClient,
    weatherTopic: topic,
    deadLetterTopic: `${topic}.dlq`,
    eventsTopic: `${topic}.events`,
  };
  const { sink } = await connectKafkaSink({ kafka } as KotsConfig, silentLogger, '-bench');
  const latencies: number[] = [];
  let sent = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * RATE);
    for (; sent < due; sent++) {
      const city = CITIES[sent % CITIES.length]!;
      const reading = makeReading({ device_id: `dev-${sent % 1000}`, city: { slug: city, name: city }, seq: sent });
      const headers = {
        'kots-device': reading.device_id,
        'kots-mqtt-topic': `kots/v1/${city}/${reading.device_id}/weather`,
        'kots-received-at': new Date().toISOString(),
        'kots-schema-version': '1',
      };
      const handedOver = performance.now();
      void sink.sendReadings([{ key: city, value: Buffer.from(JSON.stringify(reading)), headers }]).then(() => latencies.push(performance.now() - handedOver));
    }
  }, 5);
  await sleep(SECONDS * 1000);
  clearInterval(tick);
  for (let i = 0; i < 100 && latencies.length < sent; i++) await sleep(100);
  const used = process.cpuUsage(cpu);
  await sink.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    client: producerClient,
    offered: sent,
    acked: latencies.length,
    p50: q(0.5),
    p90: q(0.9),
    p99: q(0.99),
    max: latencies.at(-1) ?? Number.NaN,
    cpuMsPer1000: (used.user + used.system) / 1000 / (sent / 1000),
  };
}

const command = `npx tsx bench/sink-latency.ts --rate ${RATE} --seconds ${SECONDS}`;
process.stdout.write(`${command}\n(load average ${loadAverage()}; ${new Date().toISOString()})\n`);
const clients: ProducerClient[] = librdkafkaClientInstalled() ? ['librdkafka', 'kafkajs'] : ['kafkajs'];
if (clients.length === 1) process.stdout.write('librdkafka client not built: run scripts/bridge/install-librdkafka-client.sh\n');
const rows: Result[] = [];
for (const client of clients) rows.push(await measure(client));
process.stdout.write(`\n${command}\n(load average at the end ${loadAverage()}; compare the rows of this run)\n`);
process.stdout.write(
  `| sink | offered (${RATE}/s for ${SECONDS} s) | acknowledged | handed over -> acked p50 / p90 / p99 / max ms | CPU ms / 1,000 (this process, incl. building the readings) |\n|---|---|---|---|---|\n`,
);
for (const r of rows) {
  process.stdout.write(
    `| ${r.client} | ${r.offered} | ${r.acked} | ${r.p50.toFixed(1)} / ${r.p90.toFixed(1)} / ${r.p99.toFixed(1)} / ${r.max.toFixed(0)} | ${r.cpuMsPer1000.toFixed(1)} |\n`,
  );
}
process.exit(0);
