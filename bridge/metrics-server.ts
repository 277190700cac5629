/** The bridge's HTTP side: /metrics (Prometheus text format) and /healthz (200 while Kafka acknowledges, 503 otherwise). */
import { startStatusServer, type MetricsServer } from '../core/metrics-server.js';
import type { BridgeMetrics } from './metrics.js';

export type { MetricsServer } from '../core/metrics-server.js';

export interface SinkHealth {
  healthy: boolean;
  lastError?: string;
  inFlight?: number;
}

export async function startMetricsServer(metrics: BridgeMetrics, health: () => SinkHealth, port: number, host: string): Promise<MetricsServer> {
  return startStatusServer(
    {
      metrics: async () => {
        const status = health();
        return { contentType: metrics.registry.contentType, text: await metrics.render({ kafkaHealthy: status.healthy, kafkaWaiting: status.inFlight ?? 0 }) };
      },
      health: () => {
        const status = health();
        return {
          healthy: status.healthy,
          body: {
            status: status.healthy ? 'ok' : 'degraded',
            kafka: status.healthy ? 'up' : 'unreachable',
            ...(status.healthy || !status.lastError ? {} : { kafkaError: status.lastError }),
            waitingForKafka: status.inFlight ?? 0,
            connections: metrics.connections,
          },
        };
      },
    },
    port,
    host,
  );
}
