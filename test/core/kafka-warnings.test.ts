/**
 * kots commands print no runtime warnings on Node 24: kafkajs 2.2.4's negative request-queue
 * timeout (tulios/kafkajs#1751) is dropped, any other negative timeout is still reported.
 * Runs a child process against the real Kafka, since warnings go to its stderr.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { servers } from '../helpers/servers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const script = `
import pino from 'pino';
import { createKafka } from './core/kafka.ts';
const kafka = createKafka({ clientId: 'warnings-test', brokers: ${JSON.stringify(servers.kafkaBrokers)}, ssl: false }, pino({ level: 'silent' }));
// Node warns about a negative timeout once per process, so our own comes first.
if (process.env.OWN_NEGATIVE_TIMEOUT) setTimeout(() => {}, -5);
const admin = kafka.admin();
await admin.connect();
console.log('topics', (await admin.listTopics()).length >= 0);
await admin.disconnect();
`;

/** The environment without what Vitest sets to silence warnings: the child must print them as a kots command would. */
function childEnvironment(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, NODE_NO_WARNINGS: _noWarnings, ...rest } = process.env;
  return rest;
}

async function runChild(env: Record<string, string> = {}): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...childEnvironment(), ...env },
    timeout: 60_000,
  });
}

describe('runtime warnings', () => {
  it('a Kafka connection on Node 24 prints no TimeoutNegativeWarning', async () => {
    const { stdout, stderr } = await runChild();
    expect(stdout).toContain('topics true');
    expect(stderr).not.toMatch(/Warning/);
  });

  it('a negative timeout outside kafkajs is still reported', async () => {
    const { stderr } = await runChild({ OWN_NEGATIVE_TIMEOUT: '1' });
    expect(stderr).toMatch(/TimeoutNegativeWarning: -5 is a negative number/);
  });
});
