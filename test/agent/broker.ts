/**
 * A real MQTT broker for agent tests: aedes in-process on a port the OS picks
 * (or a given one, to "restart" the same broker after an outage). Records
 * every PUBLISH that reaches it, so tests see exactly what agents sent.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface ReceivedMessage {
  topic: string;
  payload: string;
  retain: boolean;
  clientId: string;
}

export interface TestBroker {
  port: number;
  url: string;
  received: ReceivedMessage[];
  aedes: Aedes;
  /** Stops the broker and drops every connection (an outage, as devices see it). */
  close(): Promise<void>;
}

export async function startTestBroker(port = 0, received: ReceivedMessage[] = []): Promise<TestBroker> {
  const aedes = await Aedes.createBroker();
  aedes.on('publish', (packet, client) => {
    if (client) received.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain, clientId: client.id });
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  return {
    port: actual,
    url: `mqtt://127.0.0.1:${actual}`,
    received,
    aedes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

/** Polls until `check` holds, failing with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
