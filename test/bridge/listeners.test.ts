/** The bridge's three doors: MQTT over TCP, over TLS (certificate from config) and over WebSocket, each carrying a reading to Kafka. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deviceTopic } from '../../core/topics.js';
import { makeReading } from '../helpers/readings.js';
import { servers } from '../helpers/servers.js';
import { connectClient, publish, registryOf, startTestBridge, topicCount, type TestBridge } from './helpers.js';

let t: TestBridge;
let ca: Buffer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kots-bridge-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=kots-test-ca', '-keyout', 'ca.key', '-out', 'ca.pem');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  execFileSync('sh', ['-c', 'printf "subjectAltName=IP:127.0.0.1\\n" > ext.cnf'], { cwd: dir });
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', 'ext.cnf', '-out', 'server.pem');
  ca = readFileSync(join(dir, 'ca.pem'));
  t = await startTestBridge({
    registry: await registryOf([{ id: 'dev-tls', city: 'kochi', secret: 'dev-tls-secret' }]),
    overrides: { 'bridge.tlsPort': 0, 'bridge.tlsCertFile': join(dir, 'server.pem'), 'bridge.tlsKeyFile': join(dir, 'server.key'), 'bridge.wsPort': 0 },
  });
}, 60_000);
afterAll(async () => t?.close());

it('accepts the same authenticated device over TCP, TLS and WebSocket (3.1.1 and 5)', async () => {
  const { port, tlsPort, wsPort } = t.bridge.listeners;
  const urls = [`mqtt://127.0.0.1:${port}`, `mqtts://127.0.0.1:${tlsPort}`, `ws://127.0.0.1:${wsPort}`];
  let sent = 0;
  for (const url of urls) {
    for (const protocolVersion of [4, 5] as const) {
      const client = await connectClient(url, {
        clientId: 'dev-tls',
        username: 'dev-tls',
        password: 'dev-tls-secret',
        protocolVersion,
        ca,
        rejectUnauthorized: true,
      });
      await publish(
        client,
        deviceTopic('kochi', 'dev-tls', 'weather'),
        JSON.stringify(makeReading({ device_id: 'dev-tls', city: { slug: 'kochi', name: 'Kochi' }, seq: sent++ })),
      );
      client.end(true);
    }
  }
  expect(await topicCount(servers.kafkaBrokers, t.config.kafka.weatherTopic)).toBe(6);
  await expect(connectClient(`mqtts://127.0.0.1:${tlsPort}`, { clientId: 'dev-tls', username: 'dev-tls', password: 'wrong-secret', ca })).rejects.toMatchObject(
    { code: 4 },
  );
});
