/** The broker's network doors: MQTT over TCP, TLS and WebSocket. */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError } from '../core/errors.js';

export interface Listeners {
  port: number;
  tlsPort?: number;
  wsPort?: number;
  close(): Promise<void>;
}

/**
 * Connections the kernel queues until the bridge accepts them. Node's default (511) overflows
 * when a fleet reconnects at once after a restart: the dropped SYNs are retried by TCP after
 * 1, 3, 7, 15, 31 s, which stretches a reconnect storm far beyond the bridge's own work.
 * (Linux caps it at net.core.somaxconn, 4096 by default.)
 */
const LISTEN_BACKLOG = 8192;

/** Listens, or fails naming the setting to change when the address is taken or not allowed. */
function listen(server: NetServer | HttpServer, port: number, host: string, setting: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is already in use' : error.code === 'EACCES' ? 'needs privileges' : `cannot be used (${error.message})`;
      reject(new KotsError('CONFIG_INVALID', `${setting}: ${host}:${port} ${why}; choose another port (0 picks a free one)`, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: NetServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `onRefused` hears of each socket dropped because `maxConnections` sockets are already open on that door. */
export async function openListeners(
  broker: { handle: (stream: Duplex) => void },
  config: KotsConfig['bridge'],
  maxConnections: number,
  onRefused: () => void = () => undefined,
): Promise<Listeners> {
  const servers: Array<NetServer | HttpServer> = [];
  const tcp = createNetServer((socket) => broker.handle(socket));
  tcp.maxConnections = maxConnections;
  tcp.on('drop', onRefused);
  servers.push(tcp);
  const result: Listeners = {
    port: await listen(tcp, config.port, config.host, 'bridge.port'),
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
  if (config.tlsPort !== undefined) {
    if (!config.tlsCertFile || !config.tlsKeyFile)
      throw new KotsError('CONFIG_INVALID', 'bridge.tlsPort is set: set bridge.tlsCertFile and bridge.tlsKeyFile too');
    const tls = createTlsServer({ cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }, (socket) => broker.handle(socket));
    tls.maxConnections = maxConnections;
    tls.on('drop', onRefused);
    servers.push(tls);
    result.tlsPort = await listen(tls, config.tlsPort, config.host, 'bridge.tlsPort');
  }
  if (config.wsPort !== undefined) {
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket) => broker.handle(createWebSocketStream(socket)));
    servers.push(http);
    result.wsPort = await listen(http, config.wsPort, config.host, 'bridge.wsPort');
  }
  return result;
}
