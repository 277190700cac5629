/**
 * The single binaries (`npm run build:agent`): each one, x64 natively and
 * arm64 / armv7l under qemu-user, publishes a valid reading to a real broker
 * and reports the Node runtime it carries (Node 24 LTS on every target).
 * Building is cached by content hash, so a rerun costs only the runs.
 * Needs qemu-user and the cross C libraries: agent/build/install-qemu.sh.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseReading } from '../../core/reading.js';
import { AGENT_VERSION } from '../../agent/health.js';
import { buildAgentBinaries } from '../../agent/build/build.js';
import { TARGETS, runCommand, runtimeVersion } from '../../agent/build/targets.js';
import { startTestBroker, waitFor, type TestBroker } from './broker.js';
import { tempDir } from './config.js';

const run = promisify(execFile);
let broker: TestBroker;
let binaries: string[];

beforeAll(async () => {
  broker = await startTestBroker();
  binaries = await buildAgentBinaries();
}, 600_000);
afterAll(async () => broker?.close());

describe('single-binary agent', () => {
  for (const [index, target] of TARGETS.entries()) {
    it(`${target.name} publishes a reading to the broker${target.qemu ? ' (under qemu-user)' : ''}`, async () => {
      const deviceId = `bin-${target.name}`;
      const dir = tempDir();
      const configFile = join(dir, 'agent.yaml');
      writeFileSync(
        configFile,
        stringify({
          log: { level: 'warn' },
          // MQTT 5 is asked for: aedes speaks 3.1.1, so this also covers the agent's fallback.
          mqtt: { url: broker.url, protocolVersion: 5 },
          agent: {
            deviceId,
            city: { name: 'Takamatsu', country: 'JP', lat: 34.34, lon: 134.05 },
            intervalMinSeconds: 0.05,
            intervalMaxSeconds: 0.1,
            spoolDir: join(dir, 'spool'),
          },
        }),
      );
      const [versionProgram, versionArgs] = runCommand(target, binaries[index]!, ['--version']);
      const version = (await run(versionProgram, versionArgs, { timeout: 120_000 })).stdout.trim();
      expect(version).toBe(`kots-agent ${AGENT_VERSION} (Node v${runtimeVersion(target)}, ${target.name})`);
      expect(runtimeVersion(target)).toMatch(/^24\./);

      const [program, args] = runCommand(target, binaries[index]!, ['--config', configFile, '--count', '1']);
      const { stderr } = await run(program, args, { timeout: 120_000 });
      expect(stderr).not.toContain('Warning');
      const weatherOf = () => broker.received.filter((m) => m.clientId === deviceId && m.topic.endsWith('/weather'));
      // The agent exits on its PUBACK, which aedes writes before it emits 'publish'.
      await waitFor(() => weatherOf().length >= 1, 'the reading at the broker', 5000);
      const mine = weatherOf();
      expect(mine).toHaveLength(1);
      const verdict = parseReading(mine[0]!.payload);
      expect(verdict.ok).toBe(true);
      expect(verdict.ok && verdict.reading.device_id).toBe(deviceId);
    }, 180_000);
  }
});
