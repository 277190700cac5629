/**
 * Delivery over SSH with the user's own ssh/scp and key: copy the target's
 * payload (the binary, payload.ts) and the device's small bundle into a
 * private temporary folder on the device, run the bundle's install.sh as root
 * (sudo -n when the login is not root), which checks the payload's sha256 there
 * before installing, and remove the folder. The bundle holds the device
 * credential, so it only ever exists in mode-700 temporary folders on both ends.
 */
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { KotsError } from '../core/errors.js';
import { bundleName, INSTALL_RESULT_PREFIX } from './bundle.js';
import type { TargetPayload } from './payload.js';

export interface SshOptions {
  port?: number;
  /** Private key file (-i); default: the user's ssh configuration and agent. */
  identity?: string;
  /** Extra `-o Key=Value` options (e.g. UserKnownHostsFile=...). */
  options?: string[];
  /** Install under this root on the device instead of / (staging, chroots, tests). */
  remoteRoot?: string;
  timeoutSeconds?: number;
}

export interface SshResult {
  result: 'started' | 'enabled-not-started';
  /** Whether the binary was copied, or the device already had exactly this payload installed (sha256 checked there). */
  payload: 'copied' | 'already-installed';
  /** install.sh's own lines (no secrets: it never prints them). */
  output: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function common(options: SshOptions): string[] {
  return [
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=15',
    ...(options.identity ? ['-i', options.identity] : []),
    ...(options.options ?? []).flatMap((o) => ['-o', o]),
  ];
}

function runTool(program: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: timeoutMs, maxBuffer: 4 << 20 }, (error, stdout, stderr) => {
      if (error) {
        const detail = (stderr || stdout || error.message).toString().trim().split('\n').slice(-5).join(' | ');
        reject(
          new Error(`${program} failed${(error as { code?: unknown }).code !== undefined ? ` (exit ${(error as { code?: unknown }).code})` : ''}: ${detail}`),
        );
      } else resolve(stdout.toString());
    });
  });
}

const PAYLOAD_PRESENT = 'KOTS_PAYLOAD_INSTALLED';

/**
 * `payload.dir` is the local payload folder (binaries/<name>); it lands at
 * <remote tmp>/binaries/<name>, where install.sh looks. When the device
 * already has exactly these files installed (their sha256 checked there), the
 * copy is skipped and install.sh checks the installed files instead.
 */
export async function deliverOverSsh(
  address: string,
  bundle: string,
  payload: { dir: string; payload: TargetPayload },
  deviceId: string,
  options: SshOptions,
): Promise<SshResult> {
  const timeoutMs = (options.timeoutSeconds ?? 600) * 1000;
  const ssh = [...common(options), ...(options.port ? ['-p', String(options.port)] : [])];
  const scp = [...common(options), ...(options.port ? ['-P', String(options.port)] : [])];
  const root = options.remoteRoot ? quote(options.remoteRoot) : '/';
  const installedSums = payload.payload.files.map((f) => `${f.sha256}  .${f.path}`).join('\n');
  const prepare = [
    'umask 077 && d=$(mktemp -d /tmp/kots-agent.XXXXXX) && mkdir "$d/binaries" && echo "$d" || exit 1',
    `if (cd ${root} && sha256sum -c --status) 2>/dev/null <<'KOTS_SHA256SUMS'`,
    installedSums,
    'KOTS_SHA256SUMS',
    `then echo ${PAYLOAD_PRESENT}; fi`,
  ].join('\n');
  const [remoteDir = '', marker] = (await runTool('ssh', [...ssh, address, prepare], timeoutMs)).trim().split('\n');
  if (!/^\/tmp\/kots-agent\.[A-Za-z0-9]+$/.test(remoteDir)) throw new Error(`unexpected answer from mktemp on ${address}: ${remoteDir.slice(0, 80)}`);
  const present = marker?.trim() === PAYLOAD_PRESENT;
  try {
    if (!present) await runTool('scp', [...scp, '-q', '-r', payload.dir, `${address}:${remoteDir}/binaries/`], timeoutMs);
    await runTool('scp', [...scp, '-q', bundle, `${address}:${remoteDir}/`], timeoutMs);
    const script = [
      'set -e',
      `cd ${remoteDir}`,
      // Already installed: the payload folder is the installed root, which install.sh checks and leaves in place.
      ...(present ? [`mkdir binaries/${payload.payload.name}`, `ln -s ${root} binaries/${payload.payload.name}/rootfs`] : []),
      `tar xzf ${quote(basename(bundle))}`,
      'SUDO=""',
      'if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi',
      `$SUDO env ROOT=${root} sh ./${bundleName(deviceId)}/install.sh`,
    ].join('\n');
    const output = await runTool('ssh', [...ssh, address, script], timeoutMs);
    const line = output.split('\n').find((l) => l.startsWith(INSTALL_RESULT_PREFIX));
    const result = line?.slice(INSTALL_RESULT_PREFIX.length).trim();
    if (result !== 'started' && result !== 'enabled-not-started')
      throw new KotsError('USAGE', `install.sh on ${address} gave no result line: ${output.trim().slice(-300)}`);
    return {
      result,
      payload: present ? 'already-installed' : 'copied',
      output: output
        .split('\n')
        .filter((l) => l && !l.startsWith(INSTALL_RESULT_PREFIX))
        .join('\n'),
    };
  } finally {
    // The copied bundle holds the credential: remove it whatever happened (as root if it was extracted as root).
    await runTool('ssh', [...ssh, address, `rm -rf ${remoteDir} 2>/dev/null || sudo -n rm -rf ${remoteDir}`], timeoutMs).catch(() => undefined);
  }
}
