/** The bridge's HTTP side: /metrics (Prometheus text format) and /healthz (200 while Kafka acknowledges, 503 otherwise). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BridgeMetrics } from './metrics.js';

export interface SinkHealth {
  healthy: boolean;
  lastError?: string;
  inFlight?: number;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: BridgeMetrics, health: () => SinkHealth, port: number, host: string): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    const status = health();
    if (path === '/metrics') {
      metrics.render({ kafkaHealthy: status.healthy, kafkaWaiting: status.inFlight ?? 0 }).then(
        (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else if (path === '/healthz') {
      const body = {
        status: status.healthy ? 'ok' : 'degraded',
        kafka: status.healthy ? 'up' : 'unreachable',
        ...(status.healthy || !status.lastError ? {} : { kafkaError: status.lastError }),
        waitingForKafka: status.inFlight ?? 0,
        connections: metrics.connections,
      };
      response.writeHead(status.healthy ? 200 : 503, { 'content-type': 'application/json' });
      response.end(`${JSON.stringify(body)}\n`);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
