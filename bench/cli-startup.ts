/**
 * Start-up time of the `kots` command: `kots --version` and `kots --help`, 10 runs each,
 * through bin/kots.js as users run it (the compiled dist/, built first). A benchmark, not
 * a test: it prints the figures for cli/README.md.
 *
 *   npx tsx bench/cli-startup.ts [runs]
 *
 * Reference in the same run: `node -e 0` (the floor no command can go under), and the same
 * commands from the TypeScript sources through tsx (KOTS_FROM_SOURCE=1, what every start
 * cost before dist/).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildCli } from '../scripts/build/cli.mjs';
import { KOTS_BIN } from '../test/helpers/processes.js';

const runs = Number(process.argv[2] ?? 10);

function timeRuns(args: string[], env: NodeJS.ProcessEnv = process.env, node = process.execPath): number[] {
  const times: number[] = [];
  execFileSync(node, args, { env, stdio: 'ignore' }); // warm the file cache
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    execFileSync(node, args, { env, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return times.sort((a, b) => a - b);
}

const median = (t: number[]) => t[Math.floor(t.length / 2)]!;
const fmt = (t: number[]) => `median ${median(t).toFixed(3)} s, best ${t[0]!.toFixed(3)} s, worst ${t.at(-1)!.toFixed(3)} s`;

await buildCli({ quiet: true });
const floor = timeRuns(['-e', '0']);
const version = timeRuns([KOTS_BIN, '--version']);
const help = timeRuns([KOTS_BIN, '--help']);
const fromSource = { ...process.env, KOTS_FROM_SOURCE: '1' };
const versionTsx = timeRuns([KOTS_BIN, '--version'], fromSource);
const helpTsx = timeRuns([KOTS_BIN, '--help'], fromSource);
// A system Node older than 24 (Debian's 20): bin/kots.js re-runs itself on node_modules' Node 24, a second start.
const systemNode = '/usr/bin/node';
const systemVersion = existsSync(systemNode) ? execFileSync(systemNode, ['--version'], { encoding: 'utf8' }).trim() : undefined;
const reexec = systemVersion && Number(systemVersion.slice(1).split('.')[0]) < 24 ? timeRuns([KOTS_BIN, '--version'], process.env, systemNode) : undefined;

process.stdout.write(
  [
    `kots start-up, ${runs} runs each, node ${process.version} (npx tsx bench/cli-startup.ts ${runs})`,
    `  node -e 0 (floor)            ${fmt(floor)}`,
    `  kots --version (dist/)       ${fmt(version)}   target 0.3 s: ${median(version) <= 0.3 ? 'met' : 'NOT met'}`,
    `  kots --help    (dist/)       ${fmt(help)}   target 0.5 s: ${median(help) <= 0.5 ? 'met' : 'NOT met'}`,
    `  kots --version (tsx sources) ${fmt(versionTsx)}`,
    `  kots --help    (tsx sources) ${fmt(helpTsx)}`,
    ...(reexec ? [`  kots --version via ${systemNode} ${systemVersion} (re-exec on Node 24) ${fmt(reexec)}`] : []),
    `  ratio dist/ : tsx  --version ${(median(version) / median(versionTsx)).toFixed(2)}, --help ${(median(help) / median(helpTsx)).toFixed(2)}; above the floor: --version +${(median(version) - median(floor)).toFixed(3)} s`,
    '',
  ].join('\n'),
);
