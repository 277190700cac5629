/** Agent configs for tests: fast intervals, a throw-away spool folder, a test broker. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig, type KotsConfig } from '../../core/config/index.js';

export function tempDir(prefix = 'kots-agent-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testAgentConfig(brokerUrl: string, agent: Record<string, unknown> = {}, mqtt: Record<string, unknown> = {}): KotsConfig {
  return validateConfig({
    log: { level: 'silent' },
    mqtt: { url: brokerUrl, protocolVersion: 4, ...mqtt },
    agent: {
      deviceId: 'dev-test',
      city: { name: 'Takamatsu', country: 'JP', lat: 34.3428, lon: 134.0466, timezone: 32400 },
      source: 'simulated',
      intervalMinSeconds: 0.01,
      intervalMaxSeconds: 0.03,
      reconnectMinSeconds: 0.05,
      reconnectMaxSeconds: 0.3,
      spoolDir: join(tempDir(), 'spool'),
      ...agent,
    },
  });
}
