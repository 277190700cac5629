/**
 * MQTT over TLS: the agent checks the broker's certificate against
 * mqtt.caFile, and can present a client certificate (mqtt.certFile/keyFile).
 * Certificates are made for the test by the openssl command line.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import pino from 'pino';
import { Aedes } from 'aedes';
import { afterEach, describe, expect, it } from 'vitest';
import { startAgent } from '../../agent/index.js';
import { waitFor } from './broker.js';
import { tempDir, testAgentConfig } from './config.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function makeCertificates(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=kots test CA',
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['server', 'client']) {
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
  }
  return {
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}

describe('agent over TLS', () => {
  it('publishes to an mqtts:// broker it verifies with mqtt.caFile, presenting a client certificate', async () => {
    const files = makeCertificates(tempDir('kots-tls-'));
    const aedes = await Aedes.createBroker();
    const weather: string[] = [];
    aedes.on('publish', (packet, client) => {
      if (client && packet.topic.endsWith('/weather')) weather.push(packet.payload.toString());
    });
    let clientSubject: string | undefined;
    const server = createServer(
      { key: readFileSync(files.serverKey), cert: readFileSync(files.serverCert), ca: readFileSync(files.ca), requestCert: true, rejectUnauthorized: true },
      (socket: TLSSocket) => {
        clientSubject = String(socket.getPeerCertificate().subject?.CN);
        aedes.handle(socket);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    });
    const url = `mqtts://127.0.0.1:${(server.address() as { port: number }).port}`;
    const config = testAgentConfig(url, {}, { caFile: files.ca, certFile: files.clientCert, keyFile: files.clientKey });
    const agent = await startAgent({ config, logger: pino({ level: 'silent' }), maxReadings: 2 });
    cleanups.push(() => agent.stop());
    await agent.finished;
    await agent.drained();
    await waitFor(() => weather.length >= 2, 'both readings at the broker');
    expect(weather).toHaveLength(2);
    expect(clientSubject).toBe('client');
  });

  it('refuses a broker whose certificate the CA did not sign (readings stay in the spool)', async () => {
    const trusted = makeCertificates(tempDir('kots-tls-'));
    const other = makeCertificates(tempDir('kots-tls-'));
    const aedes = await Aedes.createBroker();
    const server = createServer({ key: readFileSync(other.serverKey), cert: readFileSync(other.serverCert) }, (socket) => aedes.handle(socket));
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    });
    const url = `mqtts://127.0.0.1:${(server.address() as { port: number }).port}`;
    const agent = await startAgent({ config: testAgentConfig(url, {}, { caFile: trusted.ca }), logger: pino({ level: 'silent' }), maxReadings: 3 });
    cleanups.push(() => agent.stop());
    await agent.finished;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(agent.stats()).toMatchObject({ taken: 3, acked: 0, spooled: 3 });
    expect(agent.stats().lastError).toMatch(/certificate|self.signed|unable to verify/i);
  });
});
