#!/usr/bin/env node
// kots runs on Node 24 LTS. On a machine whose own Node is older (Node 20 is still many
// systems' default), `npm install` brings Node 24 from the npm registry as the optional
// dependency node-linux-<arch>; npm scripts find it first on PATH, and this launcher re-runs
// itself on it when started any other way, so every `kots` command runs on a supported runtime.
//
// It then runs the compiled command in dist/ (built by `npm install`, `npm run build` and the
// test setup; see scripts/build/cli.mjs) while dist/ is newer than every source it was built
// from, and the TypeScript sources through tsx otherwise (a fresh edit, or no build at all), so
// `npm install && npm start` works either way and an edit is never hidden by an old build.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REQUIRED_MAJOR = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major < REQUIRED_MAJOR) {
  const bundled = fileURLToPath(new URL(`../node_modules/node-linux-${process.arch}/bin/node`, import.meta.url));
  if (process.platform === 'linux' && existsSync(bundled) && !process.env.KOTS_REEXEC) {
    const child = spawn(bundled, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, KOTS_REEXEC: '1' },
    });
    // The child shares our terminal and so gets Ctrl-C itself; other signals are passed on.
    for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
    process.on('SIGINT', () => {});
    child.on('exit', (code, signal) => {
      if (!signal) process.exit(code ?? 1);
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    });
  } else {
    process.stderr.write(
      `kots needs Node ${REQUIRED_MAJOR} or newer and found ${process.version}: run \`npm install\` in the kots folder (it brings Node ${REQUIRED_MAJOR} from the npm registry) or install Node ${REQUIRED_MAJOR} LTS\n`,
    );
    process.exit(2);
  }
} else {
  await run();
}

function buildIsFresh() {
  if (process.env.KOTS_FROM_SOURCE === '1') return false;
  try {
    const root = new URL('../', import.meta.url);
    const { builtAt, inputs } = JSON.parse(readFileSync(new URL('dist/cli/inputs.json', root), 'utf8'));
    return inputs.every((file) => statSync(new URL(file, root)).mtimeMs < builtAt);
  } catch {
    return false;
  }
}

async function run() {
  if (buildIsFresh()) {
    await import('../dist/cli/main.js');
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
