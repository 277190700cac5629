/**
 * Bridge metrics, exposed in Prometheus text format on /metrics (prom-client).
 * Each reading costs O(1): counters are plain fields read at scrape time, and
 * the Kafka latency goes into a fixed-bucket histogram. Each bridge has its own
 * registry, so two bridges in one process (tests, `kots up`) do not mix.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface SinkGauges {
  kafkaHealthy: boolean;
  kafkaWaiting?: number;
}

export class BridgeMetrics {
  connections = 0;
  connectionsTotal = 0;
  messagesIn = 0;
  messagesForwarded = 0;
  readonly rejectedByReason = new Map<string, number>();
  readonly refusedByReason = new Map<string, number>();
  inFlight = 0;
  registryDevices = 0;
  registryReloads = 0;
  registryReloadFailures = 0;
  /** Set by the metrics server before each scrape. */
  sink: SinkGauges = { kafkaHealthy: true };

  readonly registry = new Registry();
  private readonly kafkaLatency: Histogram;

  constructor() {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const byReason = (name: string, help: string, map: Map<string, number>) =>
      new Counter({
        name,
        help,
        labelNames: ['reason'],
        registers,
        collect() {
          this.reset();
          for (const [reason, n] of map) this.inc({ reason }, n);
        },
      });

    gauge('kots_bridge_connections', 'Connected MQTT clients.', () => this.connections);
    counter('kots_bridge_connections_total', 'MQTT connections accepted since start.', () => this.connectionsTotal);
    counter('kots_bridge_messages_in_total', 'Readings published by devices.', () => this.messagesIn);
    counter('kots_bridge_messages_out_total', 'Readings acknowledged by Kafka.', () => this.messagesForwarded);
    byReason('kots_bridge_messages_rejected_total', 'Payloads sent to the dead-letter topic, by reason.', this.rejectedByReason);
    byReason('kots_bridge_refused_total', 'Connections, publishes and subscriptions refused, by reason.', this.refusedByReason);
    gauge('kots_bridge_in_flight', 'Readings waiting for Kafka (their PUBACK is held).', () => this.inFlight);
    this.kafkaLatency = new Histogram({
      name: 'kots_bridge_kafka_latency_ms',
      help: "Time from handing a valid reading to the sink to Kafka's acknowledgement.",
      buckets: [1, 2, 5, 10, 20, 35, 50, 75, 100, 200, 500, 1000, 5000, 30_000],
      registers,
    });
    gauge('kots_bridge_kafka_up', '1 while Kafka acknowledges, 0 while the bridge holds acknowledgements waiting for it.', () =>
      this.sink.kafkaHealthy ? 1 : 0,
    );
    gauge('kots_bridge_kafka_waiting_records', 'Records queued or being sent to Kafka.', () => this.sink.kafkaWaiting ?? 0);
    gauge('kots_bridge_registry_devices', 'Devices in the loaded registry.', () => this.registryDevices);
    counter('kots_bridge_registry_reloads_total', 'Registry reloads applied.', () => this.registryReloads);
    counter('kots_bridge_registry_reload_failures_total', 'Registry reloads that failed (the previous registry stays).', () => this.registryReloadFailures);
  }

  received(): void {
    this.messagesIn++;
  }

  forwarded(latencyMs: number): void {
    this.messagesForwarded++;
    this.kafkaLatency.observe(latencyMs);
  }

  /** A payload that went to the dead-letter topic. */
  rejected(reason: string): void {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
  }

  /** A connection, publish or subscription the broker refused outright. */
  refused(reason: string): void {
    this.refusedByReason.set(reason, (this.refusedByReason.get(reason) ?? 0) + 1);
  }

  async render(sink: SinkGauges): Promise<string> {
    this.sink = sink;
    return this.registry.metrics();
  }
}
