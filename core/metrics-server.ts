/**
 * The HTTP side every long-running stage shares: GET /metrics (Prometheus
 * text format, from a prom-client registry or any renderer) and GET /healthz
 * (200 while the stage can do its job, 503 otherwise, with a JSON body that
 * says why). The stage decides what "healthy" means; this only serves it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StatusEndpoints {
  /** The /metrics body and its content type (prom-client: `registry.metrics()`, `registry.contentType`). */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** The /healthz verdict; `body` is sent as JSON. */
  health(): { healthy: boolean; body: Record<string, unknown> };
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startStatusServer(endpoints: StatusEndpoints, port: number, host: string): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      endpoints.metrics().then(
        ({ contentType, text }) => response.writeHead(200, { 'content-type': contentType }).end(text),
        (error: unknown) =>
          response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`),
      );
    } else if (path === '/healthz') {
      const { healthy, body } = endpoints.health();
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
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
