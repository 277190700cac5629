/** Runs kots sub-commands as real child processes, so tests can SIGKILL them. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const KOTS_BIN = fileURLToPath(new URL('../../bin/kots.js', import.meta.url));

export interface KotsProcess {
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnKots(args: string[], env: Record<string, string>, nodeOptions: string[] = []): KotsProcess {
  const child = spawn(process.execPath, [...nodeOptions, KOTS_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Only what a fresh machine has: no KOTS_*, Kafka, S3, MQTT or Vault variables from the test servers. */
export function bareEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(KOTS_|KAFKA_|S3_|AWS_|MQTT_|VAULT_)/.test(key)) env[key] = value;
  }
  return env;
}

/** bareEnvironment for a test that starts its own tmux: outside any tmux of the person running the tests, with a known terminal. */
export function terminalEnvironment(): NodeJS.ProcessEnv {
  const { TMUX: _tmux, TMUX_PANE: _pane, ...env } = bareEnvironment();
  return { ...env, TERM: 'xterm-256color' };
}
