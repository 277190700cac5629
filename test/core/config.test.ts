import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configExample, configLeaves, configSchema, envName, loadConfig } from '../../core/config/index.js';
import { ConfigError } from '../../core/errors.js';

function tempFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'kots-config-')), 'kots.yaml');
  writeFileSync(file, text);
  return file;
}

function problemsOf(action: () => unknown): string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs on defaults alone: local lake, no Kafka', () => {
    const config = loadConfig({ env: {} });
    expect(config.lake.kind).toBe('local');
    expect(config.kafka.brokers).toEqual([]);
    expect(config.consumer.groupId).toBe('kots-consumer');
  });

  it('reads YAML and lets KOTS_* variables override it', () => {
    const file = tempFile('kafka:\n  brokers: ["a:9092"]\n  partitions: 6\nconsumer:\n  batchMaxRecords: 100\n');
    const config = loadConfig({ file, env: { KOTS_KAFKA_PARTITIONS: '12', KOTS_CONSUMER_BATCH_MAX_AGE_MS: '250' } });
    expect(config.kafka.brokers).toEqual(['a:9092']);
    expect(config.kafka.partitions).toBe(12);
    expect(config.consumer.batchMaxRecords).toBe(100);
    expect(config.consumer.batchMaxAgeMs).toBe(250);
  });

  it('takes KAFKA_BROKERS and S3_* and switches the lake to S3', () => {
    const config = loadConfig({ env: { KAFKA_BROKERS: 'k1:9092, k2:9092', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_BUCKET: 'lake' } });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.lake).toMatchObject({ kind: 's3', bucket: 'lake', endpoint: 'http://127.0.0.1:9000' });
  });

  it('names the key and what is expected when a setting is wrong', () => {
    expect(problemsOf(() => loadConfig({ env: { KOTS_KAFKA_PARTITIONS: 'many' } }))).toEqual([
      'kafka.partitions (from KOTS_KAFKA_PARTITIONS="many"): expected a number',
    ]);
    const file = tempFile('kafka:\n  brokers: ["no-port"]\nconsumer:\n  batchMaxRecords: -1\n  batchSize: 3\n');
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems).toContainEqual(expect.stringMatching(/^kafka\.brokers\.0: expected host:port/));
    expect(problems).toContainEqual(expect.stringMatching(/^consumer\.batchMaxRecords: /));
    expect(problems).toContainEqual(expect.stringMatching(/^consumer\.batchSize: unknown setting/));
  });

  it('suggests the setting a typo meant', () => {
    const file = tempFile('kafka:\n  broker: ["a:9092"]\nlake:\n  Path: /tmp/x\nlogs:\n  level: info\nconsumer:\n  zzz: 1\n');
    const problems = problemsOf(() => loadConfig({ file, env: {} }));
    expect(problems).toContain('kafka.broker: unknown setting; did you mean kafka.brokers?');
    expect(problems).toContain('lake.Path: unknown setting; did you mean lake.path?');
    expect(problems).toContain('logs: unknown setting; did you mean log?');
    expect(problems).toContain('consumer.zzz: unknown setting (see config/kots.example.yaml)');
  });

  it("resolves the lake folder against the config file's folder, not the working folder", () => {
    const file = tempFile('lake:\n  path: ./my-lake\n');
    const folder = join(file, '..');
    expect(loadConfig({ file, env: {} }).lake.path).toBe(join(folder, 'my-lake'));
    // The default too, when a config file is given; an environment variable stays relative to where kots runs.
    const bare = tempFile('log:\n  level: warn\n');
    expect(loadConfig({ file: bare, env: {} }).lake.path).toBe(join(bare, '..', 'kots-lake'));
    expect(loadConfig({ file, env: { KOTS_LAKE_PATH: 'env-lake' } }).lake.path).toBe('env-lake');
    expect(loadConfig({ env: {} }).lake.path).toBe('./kots-lake');
  });

  it('names the missing setting when S3 has no bucket', () => {
    expect(problemsOf(() => loadConfig({ env: { KOTS_LAKE_KIND: 's3' } }))).toEqual([expect.stringMatching(/^lake\.bucket: /)]);
  });

  it('points at the line of a YAML syntax error', () => {
    const file = tempFile('kafka:\n  brokers: [a:9092\nlake: {}\n');
    expect(problemsOf(() => loadConfig({ file, env: {} }))[0]).toMatch(/line \d+/);
  });

  it('derives environment names from the schema', () => {
    expect(envName(['agent', 'intervalMinSeconds'])).toBe('KOTS_AGENT_INTERVAL_MIN_SECONDS');
    const names = configLeaves(configSchema).map((leaf) => envName(leaf.path));
    expect(new Set(names).size).toBe(names.length);
  });

  it('the example file documents every setting and passes validation', () => {
    const example = readFileSync(new URL('../../config/kots.example.yaml', import.meta.url), 'utf8');
    for (const leaf of configLeaves(configSchema)) {
      const key = leaf.path[leaf.path.length - 1]!;
      expect(example, `example lacks ${leaf.path.join('.')}`).toMatch(new RegExp(`^\\s*#?\\s*${key}:`, 'm'));
    }
    expect(() => loadConfig({ file: fileURLToPathSafe('../../config/kots.example.yaml'), env: {} })).not.toThrow();
    expect(example, 'config/kots.example.yaml is stale: run `kots config example > config/kots.example.yaml`').toBe(configExample());
  });
});

function fileURLToPathSafe(relative: string): string {
  return new URL(relative, import.meta.url).pathname;
}
