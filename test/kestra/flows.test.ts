/**
 * The Kestra flows in kestra/ are code: every flow parses, every task, trigger
 * and task runner `type` is a real Kestra plugin class (the list below names
 * the repository file each was checked against, since Kestra's registry
 * cannot be reached from here), credentials only come from Kestra secrets,
 * each task retries and each flow notifies on failure. And each command a
 * flow runs is rendered (its Pebble expressions for a given trigger date and
 * inputs) and RUN here, through sh, against a local lake.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CITIES, resolveCity } from '../../agent/cities.js';
import { LocalLake } from '../../core/lake/index.js';
import { readManifest } from '../../lakehouse/manifest.js';
import { KOTS_BIN } from '../helpers/processes.js';
import { simulatedRows, writeRawLake } from '../lakehouse/fixtures.js';

const KESTRA_DIR = fileURLToPath(new URL('../../kestra/', import.meta.url));

/** Plugin classes the flows may use, each confirmed to exist in Kestra's sources (repository: file). */
const KNOWN_TYPES: Record<string, string> = {
  'io.kestra.plugin.core.trigger.Schedule': 'kestra-io/kestra: core/src/main/java/io/kestra/plugin/core/trigger/Schedule.java',
  'io.kestra.plugin.scripts.shell.Commands': 'kestra-io/plugin-scripts: plugin-script-shell/src/main/java/io/kestra/plugin/scripts/shell/Commands.java',
  'io.kestra.plugin.scripts.runner.docker.Docker': 'kestra-io/kestra: script/src/main/java/io/kestra/plugin/scripts/runner/docker/Docker.java',
  'io.kestra.plugin.core.runner.Process': 'kestra-io/kestra: core/src/main/java/io/kestra/plugin/core/runner/Process.java',
  'io.kestra.plugin.slack.notifications.SlackIncomingWebhook':
    'kestra-io/plugin-slack: src/main/java/io/kestra/plugin/slack/notifications/SlackIncomingWebhook.java',
  'io.kestra.plugin.notifications.slack.SlackIncomingWebhook':
    'kestra-io/plugin-notifications: src/main/java/io/kestra/plugin/notifications/slack/SlackIncomingWebhook.java (alias of the above)',
  'io.kestra.plugin.core.log.Log': 'kestra-io/kestra: core/src/main/java/io/kestra/plugin/core/log/Log.java',
  'io.kestra.plugin.core.execution.Fail': 'kestra-io/kestra: core/src/main/java/io/kestra/plugin/core/execution/Fail.java',
};
const RETRY_TYPES = ['constant', 'exponential', 'random'];
const INPUT_TYPES = ['STRING', 'INT', 'FLOAT', 'BOOLEAN', 'DATE', 'DATETIME', 'TIME', 'DURATION', 'SELECT', 'JSON', 'FILE', 'URI', 'ENUM', 'ARRAY'];

type Node = Record<string, unknown>;

interface Flow {
  file: string;
  doc: Node;
}

const flows: Flow[] = readdirSync(KESTRA_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((file) => ({ file, doc: parse(readFileSync(join(KESTRA_DIR, file), 'utf8')) as Node }));

const list = (value: unknown): Node[] => (Array.isArray(value) ? (value as Node[]) : []);

/** Every task of a flow, nested flowable tasks included. */
function tasksOf(doc: Node): Node[] {
  const out: Node[] = [];
  const walk = (tasks: Node[]) => {
    for (const task of tasks) {
      out.push(task);
      walk(list(task.tasks));
      walk(list(task.errors));
    }
  };
  walk([...list(doc.tasks), ...list(doc.errors), ...list(doc.afterExecution), ...list(doc.finally)]);
  return out;
}

/** The few Pebble expressions the flows use, evaluated for a trigger date and inputs; anything else fails the test. */
function render(text: string, context: { trigger: Date; inputs: Record<string, string> }): string {
  return text.replace(/\{\{\s*(.*?)\s*\}\}/g, (_all, expression: string) => {
    const input = /^inputs\.(\w+)$/.exec(expression);
    if (input) {
      if (!(input[1]! in context.inputs)) throw new Error(`no test value for ${expression}`);
      return context.inputs[input[1]!]!;
    }
    const date =
      /^\(trigger\.date \?\? execution\.startDate\)(?: \| dateAdd\((-?\d+), ["']DAYS["']\))? \| date\(["']yyyy-MM-dd["'], timeZone=["']UTC["']\)$/.exec(
        expression,
      );
    if (date) return new Date(context.trigger.getTime() + Number(date[1] ?? 0) * 86_400_000).toISOString().slice(0, 10);
    throw new Error(`the test cannot render {{ ${expression} }}: teach it, so what Kestra runs is what the suite runs`);
  });
}

function runShell(command: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('kestra flows', () => {
  it('finds the three flows', () => {
    expect(flows.map((f) => f.file)).toEqual(['consolidate-backfill.yml', 'consolidate-finalise.yml', 'consolidate-today.yml']);
  });

  describe.each(flows)('$file', ({ file, doc }) => {
    it('is a flow: id = file name, namespace, tasks, and only real Kestra plugin types', () => {
      expect(doc.id).toBe(file.replace(/\.ya?ml$/, ''));
      expect(doc.namespace).toBe('kots.lake');
      expect(list(doc.tasks).length).toBeGreaterThan(0);
      const types = [
        ...tasksOf(doc).map((t) => t.type),
        ...list(doc.triggers).map((t) => t.type),
        ...tasksOf(doc).flatMap((t) => (t.taskRunner ? [(t.taskRunner as Node).type] : [])),
      ];
      for (const type of types) expect(Object.keys(KNOWN_TYPES), `unknown Kestra type ${String(type)}`).toContain(type);
      for (const task of tasksOf(doc)) {
        expect(task.id).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_-]*$/);
        if (task.retry) expect(RETRY_TYPES).toContain((task.retry as Node).type);
      }
      for (const input of list(doc.inputs)) expect(INPUT_TYPES).toContain(input.type);
      for (const trigger of list(doc.triggers).filter((t) => t.type === 'io.kestra.plugin.core.trigger.Schedule')) {
        expect(String(trigger.cron).split(' ')).toHaveLength(5);
      }
    });

    it('retries its work, notifies on failure, and takes credentials only from Kestra secrets', () => {
      const work = list(doc.tasks);
      for (const task of work) expect(task.retry, `${String(task.id)} has no retry`).toBeDefined();
      const notify = list(doc.errors);
      expect(notify.map((t) => t.type)).toContain('io.kestra.plugin.slack.notifications.SlackIncomingWebhook');
      for (const task of notify) expect(task.url).toMatch(/^\{\{ secret\('[A-Z0-9_]+'\) \}\}$/);
      for (const task of work) {
        for (const [name, value] of Object.entries((task.env ?? {}) as Record<string, string>)) {
          if (/KEY|SECRET|PASSWORD|TOKEN/.test(name)) expect(value, name).toMatch(/^\{\{ secret\('[A-Z0-9_]+'\) \}\}$/);
        }
      }
      expect(readFileSync(join(KESTRA_DIR, file), 'utf8')).not.toMatch(/kotsadmin|hooks\.slack\.com\/services\/[A-Z0-9]/);
      expect(doc.concurrency).toEqual({ limit: 1, behavior: 'QUEUE' });
    });
  });

  it('runs every command of every flow, rendered, against a local lake (kots consolidate)', async () => {
    const cities = DEFAULT_CITIES.slice(0, 2).map(resolveCity);
    const rows = simulatedRows({ cities, from: new Date('2026-05-01T00:00:00Z'), hours: 48, intervalMinutes: 30 });
    // A device that was offline for almost two weeks: its day arrives late and must still be consolidated by the finalise flow.
    const late = simulatedRows({ cities, from: new Date('2026-04-20T06:00:00Z'), hours: 6, intervalMinutes: 30, seed: 7 });
    const contexts: Record<string, { trigger: Date; inputs: Record<string, string> }> = {
      'consolidate-today.yml': { trigger: new Date('2026-05-02T10:15:00Z'), inputs: {} },
      'consolidate-finalise.yml': { trigger: new Date('2026-05-03T00:30:00Z'), inputs: {} },
      'consolidate-backfill.yml': { trigger: new Date('2026-05-03T09:00:00Z'), inputs: { from: '2026-05-01', to: '2026-05-02', city: cities[1]!.slug } },
    };
    // Which partitions each flow must leave consolidated.
    const expected: Record<string, string[]> = {
      'consolidate-today.yml': cities.map((c) => `2026-05-02/${c.slug}`),
      'consolidate-finalise.yml': cities.flatMap((c) => [`2026-04-20/${c.slug}`, `2026-05-01/${c.slug}`, `2026-05-02/${c.slug}`]),
      'consolidate-backfill.yml': [`2026-05-01/${cities[1]!.slug}`, `2026-05-02/${cities[1]!.slug}`],
    };
    const runs = flows.map(async ({ file, doc }) => {
      const lakePath = mkdtempSync(join(tmpdir(), 'kots-kestra-'));
      await writeRawLake(new LocalLake(lakePath), rows, { batchSize: 25 });
      await writeRawLake(new LocalLake(lakePath), late, { batchSize: 25 });
      const context = contexts[file]!;
      const outputs: string[] = [];
      for (const task of list(doc.tasks)) {
        // The task's own env, minus what points at the deployment's bucket (envs.* and secrets): here the lake is a folder.
        const env: Record<string, string> = { KOTS_LAKE_PATH: lakePath, KOTS_LOG_LEVEL: 'warn' };
        for (const [name, value] of Object.entries((task.env ?? {}) as Record<string, string>)) {
          if (!/envs\.|secret\(/.test(value)) env[name] = render(value, context);
        }
        for (const command of (task.commands ?? []) as string[]) {
          expect(command.startsWith('node /app/bin/kots.js consolidate '), command).toBe(true);
          const result = await runShell(render(command, context).replace('node /app/bin/kots.js', `node ${KOTS_BIN}`), env);
          expect(result.code, result.output).toBe(0);
          outputs.push(result.output);
        }
      }
      const lake = new LocalLake(lakePath);
      const consolidated: string[] = [];
      for (const date of ['2026-04-20', '2026-05-01', '2026-05-02']) {
        for (const city of cities) if (await readManifest(lake, { date, city: city.slug })) consolidated.push(`${date}/${city.slug}`);
      }
      return { file, consolidated: consolidated.sort(), outputs };
    });
    for (const run of await Promise.all(runs)) {
      expect(run.consolidated, `${run.file}: ${run.outputs.join('\n')}`).toEqual(expected[run.file]!.sort());
    }
  }, 240_000);
});
