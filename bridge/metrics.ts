/** Bridge counters, exposed in Prometheus text format on /metrics. */
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
  private latencies: number[] = [];

  received(): void {
    this.messagesIn++;
  }

  forwarded(latencyMs: number): void {
    this.messagesForwarded++;
    this.latencies.push(latencyMs);
    if (this.latencies.length > 4096) this.latencies.splice(0, this.latencies.length - 4096);
  }

  /** A payload that went to the dead-letter topic. */
  rejected(reason: string): void {
    this.rejectedByReason.set(reason, (this.rejectedByReason.get(reason) ?? 0) + 1);
  }

  /** A connection, publish or subscription the broker refused outright. */
  refused(reason: string): void {
    this.refusedByReason.set(reason, (this.refusedByReason.get(reason) ?? 0) + 1);
  }

  latencyQuantile(q: number): number {
    if (this.latencies.length === 0) return 0;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  }

  render(extra: { kafkaHealthy: boolean; kafkaWaiting?: number }): string {
    const lines = [
      '# HELP kots_bridge_connections Connected MQTT clients.',
      '# TYPE kots_bridge_connections gauge',
      `kots_bridge_connections ${this.connections}`,
      '# TYPE kots_bridge_connections_total counter',
      `kots_bridge_connections_total ${this.connectionsTotal}`,
      '# HELP kots_bridge_messages_in_total Readings published by devices.',
      '# TYPE kots_bridge_messages_in_total counter',
      `kots_bridge_messages_in_total ${this.messagesIn}`,
      '# HELP kots_bridge_messages_out_total Readings acknowledged by Kafka.',
      '# TYPE kots_bridge_messages_out_total counter',
      `kots_bridge_messages_out_total ${this.messagesForwarded}`,
      '# HELP kots_bridge_messages_rejected_total Payloads sent to the dead-letter topic, by reason.',
      '# TYPE kots_bridge_messages_rejected_total counter',
      ...[...this.rejectedByReason].map(([r, n]) => `kots_bridge_messages_rejected_total{reason="${r}"} ${n}`),
      '# HELP kots_bridge_refused_total Connections, publishes and subscriptions refused, by reason.',
      '# TYPE kots_bridge_refused_total counter',
      ...[...this.refusedByReason].map(([r, n]) => `kots_bridge_refused_total{reason="${r}"} ${n}`),
      '# HELP kots_bridge_in_flight Readings waiting for Kafka (their PUBACK is held).',
      '# TYPE kots_bridge_in_flight gauge',
      `kots_bridge_in_flight ${this.inFlight}`,
      '# HELP kots_bridge_kafka_latency_ms Time from receiving a reading to Kafka\'s acknowledgement.',
      '# TYPE kots_bridge_kafka_latency_ms summary',
      ...[0.5, 0.9, 0.99].map((q) => `kots_bridge_kafka_latency_ms{quantile="${q}"} ${this.latencyQuantile(q).toFixed(2)}`),
      '# HELP kots_bridge_kafka_up 1 while Kafka acknowledges, 0 while the bridge holds acknowledgements waiting for it.',
      '# TYPE kots_bridge_kafka_up gauge',
      `kots_bridge_kafka_up ${extra.kafkaHealthy ? 1 : 0}`,
      '# HELP kots_bridge_kafka_waiting_records Records queued or being sent to Kafka.',
      '# TYPE kots_bridge_kafka_waiting_records gauge',
      `kots_bridge_kafka_waiting_records ${extra.kafkaWaiting ?? 0}`,
      '# HELP kots_bridge_registry_devices Devices in the loaded registry.',
      '# TYPE kots_bridge_registry_devices gauge',
      `kots_bridge_registry_devices ${this.registryDevices}`,
      '# TYPE kots_bridge_registry_reloads_total counter',
      `kots_bridge_registry_reloads_total ${this.registryReloads}`,
      '# TYPE kots_bridge_registry_reload_failures_total counter',
      `kots_bridge_registry_reload_failures_total ${this.registryReloadFailures}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
