/**
 * Safe defaults of `kots bridge`: without a registry it accepts anonymous
 * devices, so it listens on loopback only unless told otherwise, the way
 * Mosquitto 2 treats non-local listeners.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startBridge } from '../../bridge/index.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { KOTS_BIN } from '../helpers/processes.js';
import { capturingLogger } from '../helpers/logs.js';
import { servers, testConfig } from '../helpers/servers.js';

const run = promisify(execFile);

describe('kots bridge without a registry', () => {
  it('refuses to start on 0.0.0.0: exit 2 and one line naming bridge.registryFile, before reaching for Kafka', async () => {
    // Port 1 of loopback has no Kafka: the refusal must come first.
    const env = { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', KOTS_BRIDGE_HOST: '0.0.0.0', KOTS_BRIDGE_PORT: '0', KOTS_LOG_LEVEL: 'warn' };
    const failure = await run(process.execPath, [KOTS_BIN, 'bridge'], { env, timeout: 30_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    const lines = failure!.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kots: bridge\.registryFile: .*0\.0\.0\.0.*bridge\.allowAnonymous: true$/);
  });

  it('starts on 0.0.0.0 with bridge.allowAnonymous: true, logging a loud error that says so; on loopback it needs nothing', async () => {
    const { logger, logged } = capturingLogger<{ level: number; msg: string }>('warn');
    const lakePath = mkdtempSync(join(tmpdir(), 'kots-bridge-anon-'));
    for (const [host, allowAnonymous] of [
      ['0.0.0.0', true],
      ['127.0.0.1', false],
    ] as const) {
      const config = testConfig(
        {},
        { 'lake.path': lakePath, 'bridge.port': 0, 'bridge.host': host, 'bridge.allowAnonymous': allowAnonymous, 'log.level': 'silent' },
      );
      const bus = await InProcessBus.open({ lake: openLake(config.lake), config, logger: silentLogger });
      const bridge = await startBridge({ config, sink: bus, logger });
      expect(bridge.listeners.port).toBeGreaterThan(0);
      await bridge.close();
      await bus.close();
    }
    const loud = logged.filter((l) => /ANONYMOUS BRIDGE ON 0\.0\.0\.0/.test(l.msg));
    expect(loud).toHaveLength(1);
    expect(loud[0]!.level).toBe(50);
    await expect(
      (async () => {
        const config = testConfig({}, { 'lake.path': lakePath, 'bridge.port': 0, 'bridge.host': '0.0.0.0', 'log.level': 'silent' });
        const bus = await InProcessBus.open({ lake: openLake(config.lake), config, logger: silentLogger });
        try {
          await startBridge({ config, sink: bus, logger: silentLogger });
        } finally {
          await bus.close();
        }
      })(),
    ).rejects.toMatchObject({ code: 'USAGE', message: expect.stringMatching(/^bridge\.registryFile: /) });
  });
});

describe('kots bridge producer client', () => {
  it('with kafka.producerClient librdkafka and no build of it: exit 2 and one line naming the key and the install script', async () => {
    const env = {
      ...process.env,
      KAFKA_BROKERS: servers.kafkaBrokers.join(','),
      KOTS_KAFKA_PRODUCER_CLIENT: 'librdkafka',
      KOTS_LIBRDKAFKA_CLIENT_DIR: join(tmpdir(), 'kots-no-librdkafka-here'),
      KOTS_BRIDGE_PORT: '0',
      KOTS_LOG_LEVEL: 'warn',
    };
    const failure = await run(process.execPath, [KOTS_BIN, 'bridge'], { env, timeout: 60_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    const lines = failure!.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kots: kafka\.producerClient is librdkafka but .*: run scripts\/bridge\/install-librdkafka-client\.sh/);
  }, 90_000);
});
