/**
 * `kots up`: the whole pipeline on one machine. Embedded broker, simulated
 * agents for the configured cities, bridge, consumer and lake (a local folder
 * unless S3 is configured). With Kafka configured the same stages run on it;
 * without, the bridge hands readings to the consumer in-process.
 */
import { join } from 'node:path';
import { DEFAULT_CITIES, resolveCity } from '../../agent/cities.js';
import { startAgent, type AgentHandle } from '../../agent/index.js';
import { startBridge } from '../../bridge/index.js';
import { KafkaReadingSink } from '../../bridge/kafka-sink.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import { startKafkaConsumer } from '../../consumer/kafka-consumer.js';
import type { SurrealAlert, WeatherPipeline } from '../../consumer/pipeline.js';
import type { ReadingSink } from '../../core/bus.js';
import type { KotsConfig } from '../../core/config/index.js';
import { createKafka, ensureTopics } from '../../core/kafka.js';
import { openLake } from '../../core/lake/index.js';
import type { Logger } from '../../core/log.js';
import { AlertRelay, startDashboard } from '../../dashboard/index.js';

export interface Stack {
  /** The dashboard's address when dashboard.port is set. */
  readonly dashboardUrl?: string;
  stop(): Promise<void>;
}

export async function startStack(config: KotsConfig, logger: Logger, options: { agents: boolean }): Promise<Stack> {
  const lake = openLake(config.lake);
  const alerts = new AlertRelay();
  const onAlert = (alert: SurrealAlert) => {
    process.stdout.write(`\n⚡ ${alert.cityName} ${alert.localTime.slice(11, 16)} · ${alert.eventName}: ${alert.newsflash}\n`);
    alerts.publish(alert);
  };
  let sink: ReadingSink;
  let pipeline: WeatherPipeline;
  let stopConsumer: () => Promise<void>;
  let mode: string;
  if (config.kafka.brokers.length > 0) {
    const kafka = createKafka(config.kafka, logger, '-up');
    await ensureTopics(kafka, config.kafka);
    sink = await KafkaReadingSink.connect({ kafka, weatherTopic: config.kafka.weatherTopic, deadLetterTopic: config.kafka.deadLetterTopic, logger });
    const consumer = await startKafkaConsumer({ config, lake, logger, onAlert });
    pipeline = consumer.pipeline;
    stopConsumer = () => consumer.stop();
    mode = `Kafka ${config.kafka.brokers.join(',')}`;
  } else {
    const bus = await InProcessBus.open({ lake, config, logger, onAlert });
    sink = bus;
    pipeline = bus.pipeline;
    stopConsumer = () => bus.close();
    mode = 'in-process (no Kafka configured)';
  }
  const bridge = await startBridge({ config, sink, logger });
  const brokerUrl = `mqtt://127.0.0.1:${bridge.listeners.port}`;
  process.stdout.write(`kots up: broker ${brokerUrl} · bus ${mode} · lake ${lake.describe()}\n`);
  const dashboard = config.dashboard.port === undefined ? undefined : await startDashboard({ config, logger, broker: bridge.broker, alerts, cities: config.up.cities ?? DEFAULT_CITIES });
  if (dashboard) process.stdout.write(`kots up: dashboard ${dashboard.url}\n`);

  const agents: AgentHandle[] = [];
  if (options.agents) {
    const cities = config.up.cities ?? DEFAULT_CITIES;
    for (const city of cities) {
      const slug = resolveCity(city).slug;
      for (let n = 1; n <= config.up.agentsPerCity; n++) {
        const deviceId = `sim-${slug}-${n}`;
        agents.push(
          await startAgent({
            config: {
              ...config,
              mqtt: { ...config.mqtt, url: brokerUrl },
              agent: {
                ...config.agent,
                deviceId,
                city,
                source: 'simulated',
                intervalMinSeconds: config.up.intervalMinSeconds,
                intervalMaxSeconds: config.up.intervalMaxSeconds,
                spoolDir: join(config.up.stateDir, 'spool', deviceId),
                seed: config.agent.seed + agents.length,
              },
            },
            logger: logger.child({ device: deviceId }),
          }),
        );
      }
    }
    process.stdout.write(`kots up: ${agents.length} simulated agents in ${cities.length} cities; Ctrl-C stops and flushes\n`);
  }

  const summary = setInterval(() => printSummary(pipeline, bridge.metrics.messagesIn), 2000);
  return {
    ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
    async stop() {
      clearInterval(summary);
      await dashboard?.close();
      await Promise.all(agents.map((a) => a.stop()));
      await bridge.close();
      await stopConsumer();
      await sink.close();
      printSummary(pipeline, bridge.metrics.messagesIn);
      process.stdout.write('\nkots up: stopped; everything acknowledged is in the lake\n');
    },
  };
}

function printSummary(pipeline: WeatherPipeline, received: number): void {
  const s = pipeline.stats;
  const cities = Object.entries(s.perCity)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([city, n]) => `${city} ${n}`)
    .join(' · ');
  const line = `in ${received} · written ${s.written} · files ${s.files} · events ${s.events} · dead-letter ${s.deadLettered}${cities ? ` │ ${cities}` : ''}`;
  if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}`);
  else process.stdout.write(`${line}\n`);
}
