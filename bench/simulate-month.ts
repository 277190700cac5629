/**
 * `kots simulate --days 30` of the eight default cities, as a new analyst runs it: a fresh folder,
 * no servers, the pipeline in the process, consolidation included. Prints the wall time of each
 * phase (from the command's own summary), the CPU time the command used, and what fired.
 *
 * Reference, same run: the floor of the same month without any pipeline, i.e. the simulator and
 * the rules alone in this process (weather + reading + event for every reading).
 *
 *   npx tsx bench/simulate-month.ts [--days 30]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { v7 as uuidv7 } from 'uuid';
import { DEFAULT_CITIES, resolveCity } from '../agent/cities.js';
import { buildReading } from '../agent/reading.js';
import { WeatherSimulator } from '../agent/simulator/simulator.js';
import { DEFAULT_SIMULATION_FROM } from '../cli/commands/simulate.js';
import { detectEvent } from '../consumer/events/index.js';

const days = Number(process.argv[process.argv.indexOf('--days') + 1] ?? 30) || 30;
const bin = fileURLToPath(new URL('../bin/kots.js', import.meta.url));
const cwd = mkdtempSync(join(tmpdir(), 'kots-bench-simulate-'));
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(KOTS_|KAFKA_|S3_|AWS_|MQTT_|VAULT_)/.test(k)));

/** Runs the command and returns its output, wall time and CPU seconds (from /proc of the child, children included). */
async function timed(args: string[]): Promise<{ output: string; wallMs: number; cpuSeconds: number }> {
  const started = Date.now();
  const child = spawn('/bin/sh', ['-c', `${JSON.stringify(process.execPath)} ${args.map((a) => JSON.stringify(a)).join(' ')}; cat /proc/$$/stat >&2`], {
    cwd,
    env,
  });
  let output = '';
  let stat = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stat += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${code}):\n${output}\n${stat}`);
  // /proc/<sh>/stat fields 16 and 17: CPU of waited-for children in clock ticks.
  const fields = stat
    .trim()
    .split('\n')
    .at(-1)!
    .replace(/^.*\) /, '')
    .split(' ');
  const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString());
  return { output, wallMs: Date.now() - started, cpuSeconds: (Number(fields[13]) + Number(fields[14])) / ticks };
}

function floorMs(): { readings: number; ms: number } {
  const started = Date.now();
  const from = Date.parse(`${DEFAULT_SIMULATION_FROM}T00:00:00Z`);
  let readings = 0;
  DEFAULT_CITIES.map(resolveCity).forEach((city, i) => {
    const sim = new WeatherSimulator(city, 1 + i);
    for (let t = from; t < from + days * 86_400_000; t += 600_000, readings++) {
      const reading = { ...buildReading({ deviceId: 'bench', city, source: 'simulated' }, readings, new Date(t), sim.at(new Date(t))), id: uuidv7() };
      detectEvent(reading);
    }
  });
  return { readings, ms: Date.now() - started };
}

try {
  const command = ['simulate', '--days', String(days)];
  const run = await timed([bin, ...command]);
  const events = await timed([bin, 'challenge', 'events']);
  const floor = floorMs();
  const simulated = /simulated ([\d,]+) readings of (\d+) cities.* in ([\d.]+) s \(([\d,]+) readings\/s\)/.exec(run.output);
  const consolidated = /consolidated .*: ([\d,]+) readings in (\d+) city-days, ([\d.]+) s/.exec(run.output);
  process.stdout.write(
    `command: kots ${command.join(' ')} (fresh folder ${cwd}, no servers); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
  );
  process.stdout.write(`whole command: ${(run.wallMs / 1000).toFixed(1)} s wall, ${run.cpuSeconds.toFixed(1)} s CPU (target ≤ 60 s wall)\n`);
  process.stdout.write(`  simulation through the pipeline: ${simulated?.[3]} s for ${simulated?.[1]} readings (${simulated?.[4]} readings/s)\n`);
  process.stdout.write(`  consolidation: ${consolidated?.[3]} s for ${consolidated?.[2]} city-days\n`);
  process.stdout.write(
    `reference, same run: simulator + rules alone, no pipeline: ${(floor.ms / 1000).toFixed(1)} s for ${floor.readings} readings; the pipeline takes ${(Number(simulated?.[3]) / (floor.ms / 1000)).toFixed(1)}× that\n`,
  );
  process.stdout.write(`kots challenge events:\n${events.output}`);
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
