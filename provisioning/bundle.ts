/**
 * A device bundle: kots-agent-<id>.tar.gz holding only the device's own files
 * (a few kB; the binary is in its target's payload, payload.ts):
 *
 *   kots-agent-<id>/install.sh     checks the payload's sha256, installs it and rootfs/ into /
 *                                  (or $ROOT), and enables the units
 *   kots-agent-<id>/rootfs/...     the device's files (device-files.ts), at their final paths
 *
 * install.sh finds the payload at ../binaries/<payload name> beside the
 * bundle's folder (as `--out` lays them out), or at $KOTS_AGENT_PAYLOAD. The
 * archive is written with mode 600 (it holds the device credential) and
 * root-owned entries (uid/gid 0 in the tar headers). install.sh honours
 * ROOT=/some/dir (an image, a chroot, a test) and never needs a running
 * systemd: without one it enables the units by symlink and says that nothing
 * was started.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lchownSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { AGENT_USER, PATHS, SETUP_UNIT, UNIT, type DeviceTree } from './device-files.js';
import { payloadSums, type TargetPayload } from './payload.js';

const run = promisify(execFile);

/** The last line install.sh prints, read by the SSH delivery: started | enabled-not-started. */
export const INSTALL_RESULT_PREFIX = 'KOTS_INSTALL_RESULT=';

export function installScript(deviceId: string, tree: DeviceTree, payload: TargetPayload): string {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const mode = (m: number) => m.toString(8).padStart(4, '0');
  // A payload that is the installed copy itself (SSH re-delivery of an unchanged binary) is left in place.
  const payloadInstalls = payload.files.map(
    (f) => `[ "$payload/rootfs${f.path}" -ef "$ROOT${f.path}" ] || install -D -m ${mode(f.mode)} "$payload/rootfs${f.path}" "$ROOT${f.path}"`,
  );
  const installs = tree.files.map((f) => `install -D -m ${mode(f.mode)} "$here/rootfs${f.path}" "$ROOT${f.path}"`);
  const links = tree.links.map((l) => `ln -sfn ${q(l.target)} "$ROOT${l.path}"`);
  return `#!/bin/sh
# Installs the kots agent of device ${deviceId}. Run as root: sudo sh install.sh
# ROOT=/path sh install.sh installs into another root file system (an image, a chroot, a test)
# and leaves this machine's systemd alone. Re-running it upgrades in place (new binary,
# rotated credential) and restarts the agent; the spool in /var/lib/kots-agent is kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ROOT=\${ROOT:-/}
ROOT=\${ROOT%/}
if [ -z "$ROOT" ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo sh install.sh), or give ROOT=<dir> to install into another root" >&2
  exit 1
fi
# The agent binary of target ${payload.target} comes once per target and version, beside this folder
# (<out>/binaries/${payload.name}) or from KOTS_AGENT_PAYLOAD; its sha256 is checked here, on the device.
payload=\${KOTS_AGENT_PAYLOAD:-"$here/../binaries/${payload.name}"}
if [ ! -d "$payload/rootfs" ]; then
  echo "install.sh: the agent binary is not at $payload: copy binaries/${payload.name} from the provisioning output beside this folder, or give KOTS_AGENT_PAYLOAD=<that folder>" >&2
  exit 1
fi
if ! (cd "$payload" && sha256sum -c --quiet >&2) <<'KOTS_SHA256SUMS'
${payloadSums(payload).trimEnd()}
KOTS_SHA256SUMS
then
  echo "install.sh: $payload does not match the sha256 sums of ${payload.name}: copy it again" >&2
  exit 1
fi
umask 022
${payloadInstalls.join('\n')}
${installs.join('\n')}
mkdir -p "$ROOT${PATHS.wants}"
if [ -z "$ROOT" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  ${PATHS.setupScript}
  systemctl daemon-reload
  systemctl enable ${SETUP_UNIT} ${UNIT}
  systemctl restart ${UNIT}
  echo "kots-agent ${deviceId}: installed, enabled and started (systemctl status ${UNIT})"
  echo "${INSTALL_RESULT_PREFIX}started"
else
  # No running systemd (a container, a chroot, an image being prepared): enable by symlink, as systemctl enable would.
${links.map((l) => `  ${l}`).join('\n')}
  if [ -z "$ROOT" ]; then ${PATHS.setupScript}; else echo "kots-agent ${deviceId}: the user ${AGENT_USER} is created at first start by ${SETUP_UNIT}"; fi
  echo "kots-agent ${deviceId}: installed into \${ROOT:-/} and enabled; systemd is not running here, so nothing was started (it starts at the next boot)"
  echo "${INSTALL_RESULT_PREFIX}enabled-not-started"
fi
`;
}

/**
 * Writes the tree under `root` (an SD card's rootfs, a staging folder), with
 * modes and symlinks. With `rootOwned`, every file, link and folder it creates
 * is owned by root (uid/gid 0): on an SD card, unit files and the root-run
 * setup script owned by the default user would let that user become root.
 */
export function writeTree(root: string, tree: DeviceTree, options: { rootOwned?: boolean } = {}): void {
  const own = (path: string) => {
    if (options.rootOwned) lchownSync(path, 0, 0);
  };
  const makeParent = (destination: string) => {
    const parent = dirname(destination);
    const first = existsSync(parent) ? undefined : mkdirSync(parent, { recursive: true });
    // mkdirSync returns the first folder it created: own it and every folder below it on the way.
    for (let dir = parent; first && dir.length >= first.length; dir = dirname(dir)) own(dir);
  };
  for (const file of tree.files) {
    const destination = join(root, file.path);
    makeParent(destination);
    rmSync(destination, { force: true });
    if (Buffer.isBuffer(file.content)) writeFileSync(destination, file.content, { mode: file.mode });
    else copyFileSync(file.content.file, destination);
    own(destination);
    chmodSync(destination, file.mode);
  }
  for (const link of tree.links) {
    const destination = join(root, link.path);
    makeParent(destination);
    rmSync(destination, { force: true });
    symlinkSync(link.target, destination);
    own(destination);
  }
}

export function bundleName(deviceId: string): string {
  return `kots-agent-${deviceId}`;
}

/**
 * Writes <outDir>/kots-agent-<id>.tar.gz (mode 600). Staged in a private
 * (mode 700) temporary folder that is removed afterwards.
 */
export async function writeBundle(outDir: string, deviceId: string, tree: DeviceTree, payload: TargetPayload): Promise<string> {
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const stage = mkdtempSync(join(tmpdir(), 'kots-bundle-'));
  chmodSync(stage, 0o700);
  const name = bundleName(deviceId);
  const archive = join(outDir, `${name}.tar.gz`);
  const partial = `${archive}.${process.pid}.partial`;
  try {
    const top = join(stage, name);
    writeTree(join(top, 'rootfs'), tree);
    writeFileSync(join(top, 'install.sh'), installScript(deviceId, tree, payload), { mode: 0o755 });
    writeFileSync(partial, '', { mode: 0o600 });
    await run('tar', ['--use-compress-program', 'gzip -1', '-cf', partial, '--owner=0', '--group=0', '--numeric-owner', '-C', stage, name], {
      maxBuffer: 1 << 20,
    });
    chmodSync(partial, 0o600);
    renameSync(partial, archive);
    return archive;
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(partial, { force: true });
  }
}
