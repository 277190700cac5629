/**
 * A server of the test's own (own port, own data folder), started with the same
 * scripts as the shared ones, for tests that stop a server mid-stream.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const SCRIPTS = fileURLToPath(new URL('../../scripts/servers/', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface OwnServer {
  env: Record<string, string>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function ownMinio(): Promise<OwnServer & { endpoint: string }> {
  const port = await freePort();
  const env = {
    KOTS_STATE: mkdtempSync(join(tmpdir(), 'kots-own-minio-')),
    KOTS_MINIO_PORT: String(port),
    KOTS_MINIO_CONSOLE_PORT: String(await freePort()),
  };
  const script = (name: string) => run('bash', [join(SCRIPTS, name), 'minio'], { env: { ...process.env, ...env }, timeout: 120_000 });
  return {
    env,
    endpoint: `http://127.0.0.1:${port}`,
    start: async () => void (await script('start.sh')),
    stop: async () => void (await script('stop.sh')),
  };
}

/** A Kafka of one's own (KRaft, one node) on free ports, for tests and benches that stop it. */
export async function ownKafka(): Promise<OwnServer & { brokers: string[]; remove(): void }> {
  const [port, controllerPort] = [await freePort(), await freePort()];
  const env = {
    KOTS_STATE: mkdtempSync(join(tmpdir(), 'kots-own-kafka-')),
    KOTS_KAFKA_PORT: String(port),
    KOTS_KAFKA_CONTROLLER_PORT: String(controllerPort),
    KOTS_KAFKA_HEAP: '-Xms128m -Xmx384m',
    KOTS_STOP_TIMEOUT: '30',
  };
  const script = (name: string) => run('bash', [join(SCRIPTS, name), 'kafka'], { env: { ...process.env, ...env }, timeout: 150_000 });
  let formatted = false;
  return {
    env,
    brokers: [`127.0.0.1:${port}`],
    start: async () => {
      // start.sh draws a random cluster id; one starting with "-" is taken for an option by kafka-storage (1 in 64):
      // draw again, on the first start only (later starts keep their data).
      await script('start.sh').catch(async (error: Error) => {
        if (formatted || !/cluster-id/.test(error.message)) throw error;
        rmSync(join(env.KOTS_STATE, 'kafka', 'data'), { recursive: true, force: true });
        await script('start.sh');
      });
      formatted = true;
    },
    stop: async () => void (await script('stop.sh')),
    remove: () => rmSync(env.KOTS_STATE, { recursive: true, force: true }),
  };
}
