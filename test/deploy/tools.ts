/** The deployment-check tools installed by scripts/deploy/install-tools.sh, and the repository root. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TOOLS = join(process.env.KOTS_CACHE ?? join(homedir(), '.cache', 'kots'), 'deploy-tools');

function tool(path: string): string {
  const full = join(TOOLS, path);
  if (!existsSync(full)) throw new Error(`${full} is missing: run scripts/deploy/install-tools.sh (.ci/run does)`);
  return full;
}

export const tools = {
  get composecheck() {
    return tool('bin/composecheck');
  },
  get checkov() {
    return tool('venv/bin/checkov');
  },
  get python() {
    return tool('venv/bin/python');
  },
};

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const result = spawnSync(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function which(command: string): string | undefined {
  try {
    return execFileSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
