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
import { connectKafkaSink } from '../../bridge/kafka-producer.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import { startKafkaConsumer } from '../../consumer/kafka-consumer.js';
import type { SurrealAlert, WeatherPipeline } from '../../consumer/pipeline.js';
import type { ReadingSink } from '../../core/bus.js';
import type { KotsConfig } from '../../core/config/index.js';
import { openLake } from '../../core/lake/index.js';
import type { Logger } from '../../core/log.js';
import { AlertRelay, startDashboard } from '../../dashboard/index.js';
import { LoginLinks, openConfiguredOperators } from '../../dashboard/operators.js';
import { plainView, type UpView } from './screen.js';

export interface Stack {
  /** The dashboard's address when dashboard.port is set. */
  readonly dashboardUrl?: string;
  /** Its one-time login link. */
  readonly loginLink?: string;
  stop(): Promise<void>;
}

export interface StackOptions {
  agents: boolean;
  /** Where people see what happens (default: plain lines on stdout). */
  view?: UpView;
}

export async function startStack(config: KotsConfig, logger: Logger, options: StackOptions): Promise<Stack> {
  const view = options.view ?? plainView(process.stdout);
  const lake = openLake(config.lake);
  const alerts = new AlertRelay();
  const onAlert = (alert: SurrealAlert) => {
    view.alert(alert);
    alerts.publish(alert);
  };
  let sink: ReadingSink;
  let pipeline: WeatherPipeline;
  let stopConsumer: () => Promise<void>;
  let mode: string;
  if (config.kafka.brokers.length > 0) {
    ({ sink } = await connectKafkaSink(config, logger, '-up'));
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
  view.info(`kots up: broker ${brokerUrl} · bus ${mode}`);
  view.info(`kots up: lake ${lake.describe()}`);
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
  let loginLink: string | undefined;
  if (config.dashboard.port !== undefined) {
    // Works out of the box: a one-time link logs in as this session's operator; registry users log in as usual.
    const operators = new LoginLinks(await openConfiguredOperators(config, logger));
    dashboard = await startDashboard({ config, logger, broker: bridge.broker, alerts, cities: config.up.cities ?? DEFAULT_CITIES, operators });
    loginLink = `${dashboard.url}login?token=${operators.issue()}`;
    view.info(`kots up: dashboard ${dashboard.url}; open this one-time login link:`);
    view.info(`  ${loginLink}`);
  }

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
            logger,
          }),
        );
      }
    }
    view.info(`kots up: ${agents.length} simulated agents in ${cities.length} cities; Ctrl-C stops and flushes`);
  }

  const report = () => view.figures({ ...pipeline.stats, received: bridge.metrics.messagesIn, perCity: { ...pipeline.stats.perCity } });
  const summary = setInterval(report, 500);
  summary.unref();
  return {
    ...(dashboard ? { dashboardUrl: dashboard.url } : {}),
    ...(loginLink ? { loginLink } : {}),
    async stop() {
      clearInterval(summary);
      view.stopping();
      await dashboard?.close();
      await Promise.all(agents.map((a) => a.stop()));
      await bridge.close();
      await stopConsumer();
      await sink.close();
      report();
      view.close('kots up: stopped; everything acknowledged is in the lake');
    },
  };
}
