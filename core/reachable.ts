/**
 * A quick look, before a stage starts, at whether its servers answer at all. Without it a
 * consumer whose Kafka is not there logs kafkajs' retries for a minute and ends in a stack
 * trace; with it the user reads one line naming the server, its address and the setting.
 * Only the TCP connection is tried: what happens after (TLS, SASL, S3 credentials) is the
 * client's to report.
 */
import { connect } from 'node:net';
import type { KotsConfig } from './config/index.js';
import { KotsError } from './errors.js';

const PROBE_TIMEOUT_MS = 3000;

/** Resolves when a TCP connection to host:port opens; rejects with the reason (refused, unknown host, timeout). */
export function probeTcp(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const done = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer within ${timeoutMs / 1000} s`)));
    socket.once('connect', () => done());
    socket.once('error', (error) => done(error));
  });
}

export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'unknown host';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  return (error as Error).message;
}

/** Fails with one line when none of the bootstrap servers accepts a connection. */
export async function assertKafkaReachable(kafka: KotsConfig['kafka']): Promise<void> {
  const failures: string[] = [];
  for (const broker of kafka.brokers) {
    const [host, port] = splitHostPort(broker);
    try {
      await probeTcp(host, port);
      return;
    } catch (error) {
      failures.push(`${broker} ${reasonOf(error)}`);
    }
  }
  if (failures.length === 0) return;
  throw new KotsError(
    'KAFKA_UNAVAILABLE',
    `cannot reach Kafka at ${failures.join(', ')} (kafka.brokers / KAFKA_BROKERS): start Kafka there or point KAFKA_BROKERS at a running broker`,
    { retryable: true },
  );
}

/** Fails with one line when the lake's S3 endpoint does not accept a connection (AWS itself is not probed). */
export async function assertLakeReachable(lake: KotsConfig['lake']): Promise<void> {
  if (lake.kind !== 's3' || !lake.endpoint) return;
  const url = new URL(lake.endpoint);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  try {
    await probeTcp(url.hostname, port);
  } catch (error) {
    throw new KotsError(
      'LAKE_UNAVAILABLE',
      `cannot reach the S3 server at ${lake.endpoint} (lake.endpoint / S3_ENDPOINT): ${reasonOf(error)}; start it or fix the endpoint`,
      { retryable: true },
    );
  }
}

function splitHostPort(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
