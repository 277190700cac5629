/**
 * Safe defaults of `kots bridge`: without a registry it accepts anonymous
 * devices, so it listens on loopback only unless told otherwise, the way
 * Mosquitto 2 treats non-local listeners.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { startBridge } from '../../bridge/index.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { missingFlags } from '../../cli/runtime-flags.js';
import { BRIDGE_V8_FLAGS } from '../../cli/commands/bridge.js';
import { KOTS_BIN, spawnKots, waitFor } from '../helpers/processes.js';
import { capturingLogger } from '../helpers/logs.js';
import { freePort } from '../helpers/own-servers.js';
import { servers, testConfig, uniqueName } from '../helpers/servers.js';

const run = promisify(execFile);

/** Runs `kots bridge` expecting it to refuse to start: its exit code and stderr lines. */
async function refusedBridge(env: NodeJS.ProcessEnv, timeout: number): Promise<{ code: number | undefined; lines: string[] }> {
  const failure = await run(process.execPath, [KOTS_BIN, 'bridge'], { env, timeout }).then(
    () => undefined,
    (error: { code: number; stderr: string }) => error,
  );
  return { code: failure?.code, lines: failure?.stderr.trim().split('\n') ?? [] };
}

describe('kots bridge without a registry', () => {
  it('refuses to start on 0.0.0.0: exit 2 and one line naming bridge.registryFile, before reaching for Kafka', async () => {
    // Port 1 of loopback has no Kafka: the refusal must come first.
    const env = { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', KOTS_BRIDGE_HOST: '0.0.0.0', KOTS_BRIDGE_PORT: '0', KOTS_LOG_LEVEL: 'warn' };
    const { code, lines } = await refusedBridge(env, 30_000);
    expect(code).toBe(2);
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
    const { code, lines } = await refusedBridge(env, 60_000);
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kots: kafka\.producerClient is librdkafka but .*: run scripts\/bridge\/install-librdkafka-client\.sh/);
  }, 90_000);
});

describe('kots bridge runtime', () => {
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

  it('runs with a small young generation (re-executed once, same pid), unless the user chose the flag', async () => {
    for (const nodeOptions of [undefined, '--max-semi-space-size=32']) {
      const metricsPort = await freePort();
      const suffix = uniqueName('rt');
      const bridge = spawnKots(['bridge'], {
        KAFKA_BROKERS: servers.kafkaBrokers.join(','),
        KOTS_KAFKA_WEATHER_TOPIC: `weather-${suffix}`,
        KOTS_KAFKA_DEAD_LETTER_TOPIC: `weather.dlq-${suffix}`,
        KOTS_KAFKA_EVENTS_TOPIC: `surreal-events-${suffix}`,
        KOTS_BRIDGE_PORT: '0',
        KOTS_BRIDGE_METRICS_PORT: String(metricsPort),
        KOTS_LOG_LEVEL: 'warn',
        ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      });
      try {
        await waitFor('bridge /healthz', async () => (await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).ok, 60_000);
        const args = cmdline(bridge.child.pid!);
        if (nodeOptions) expect(args.filter((a) => a.startsWith('--max-semi-space-size'))).toEqual([]);
        else expect(args).toContain(BRIDGE_V8_FLAGS[0]);
        expect(args).toContain(KOTS_BIN);
      } finally {
        expect(await bridge.kill()).toBe(0);
      }
    }
  });

  it('knows a flag given with underscores or another value', () => {
    expect(missingFlags(['--max-semi-space-size=16'], ['--max_semi_space_size=8'])).toEqual([]);
    expect(missingFlags(['--max-semi-space-size=16'], ['--cpu-prof'])).toEqual(['--max-semi-space-size=16']);
  });
});
