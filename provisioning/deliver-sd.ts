/**
 * Delivery onto a Raspberry Pi OS SD card, mounted on the provisioning machine
 * (run as root: the root partition is owned by root):
 *
 *   <PATH>/bootfs/   (or boot/) the FAT boot partition: config.txt, cmdline.txt, ...
 *   <PATH>/rootfs/   the ext4 root partition: etc/, usr/, var/, ...
 *
 * The device's files go into rootfs at their final paths, and both units are
 * enabled the way `systemctl enable` does it, by symlinks in
 * rootfs/etc/systemd/system/multi-user.target.wants/. At first boot
 * kots-agent-setup.service creates the user `kots`, then kots-agent.service
 * starts. The boot partition gets only a small kots-agent.txt naming the device
 * (no secret), so a card can be told apart; cmdline.txt and Imager's
 * firstrun.sh are left alone.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KotsError } from '../core/errors.js';
import { elfMachine, TARGET_MACHINE } from './binaries.js';
import { writeTree } from './bundle.js';
import type { DeviceTree } from './device-files.js';
import type { DeviceSpec } from './manifest.js';
import { payloadMismatches, type TargetPayload } from './payload.js';
import { requireRootForSd } from './require-root.js';

export { requireRootForSd };

export interface SdLayout {
  boot: string;
  rootfs: string;
}

export function sdLayout(path: string): SdLayout {
  const rootfs = join(path, 'rootfs');
  const boot = ['bootfs', 'boot'].map((name) => join(path, name)).find((dir) => existsSync(dir) && statSync(dir).isDirectory());
  if (!existsSync(join(rootfs, 'etc')) || !boot) {
    throw new KotsError(
      'USAGE',
      `--sd ${path}: expected a mounted Raspberry Pi OS card there, with the boot partition at ${path}/bootfs (or boot) and the root partition at ${path}/rootfs (containing etc/)`,
    );
  }
  return { boot, rootfs };
}

/** The CPU of the card's userland, from /usr/bin/env's ELF header (undefined when it cannot be told). */
function cardMachine(rootfs: string) {
  for (const candidate of ['usr/bin/env', 'bin/sh', 'usr/bin/dash']) {
    const file = join(rootfs, candidate);
    try {
      if (existsSync(file) && statSync(file).isFile()) return { file: candidate, elf: elfMachine(file) };
    } catch {
      // a dangling link on a foreign root: try the next one
    }
  }
  return undefined;
}

/** Checks that `path` is a card this device's binary can run on, before anything is built or written. */
export function checkSdCard(path: string, device: DeviceSpec): SdLayout {
  const layout = sdLayout(path);
  const card = cardMachine(layout.rootfs);
  const wanted = TARGET_MACHINE[device.target];
  if (card?.elf && (card.elf.machine !== wanted.machine || card.elf.bits !== wanted.bits)) {
    throw new KotsError(
      'USAGE',
      `--sd ${path}: the card's system is ${card.elf.machine} ${card.elf.bits}-bit (${card.file}) but device ${device.id} has target ${device.target}; change its target in fleet.yaml (Raspberry Pi OS 64-bit: linux-arm64, 32-bit: linux-armv7l)`,
    );
  }
  return layout;
}

/**
 * The target's payload (the binary, once per card) and the device's files go
 * into the root partition, all owned by root; the payload's copy on the card
 * is read back and checked against its sha256.
 */
export function deliverToSd(path: string, device: DeviceSpec, tree: DeviceTree, payload: TargetPayload): SdLayout {
  requireRootForSd(path);
  const layout = checkSdCard(path, device);
  writeTree(layout.rootfs, { files: payload.files.map((f) => ({ path: f.path, mode: f.mode, content: { file: f.source } })), links: [] }, { rootOwned: true });
  const bad = payloadMismatches(layout.rootfs, payload);
  if (bad.length)
    throw new KotsError('USAGE', `--sd ${path}: the copy of ${bad.join(', ')} on the card does not match its sha256 (a failing card?); nothing was enabled`);
  writeTree(layout.rootfs, tree, { rootOwned: true });
  writeFileSync(
    join(layout.boot, 'kots-agent.txt'),
    `kots agent device ${device.id} (${device.city.name}), target ${device.target}.\nInstalled in the root partition; kots-agent.service starts at boot. No secrets on this partition.\n`,
  );
  return layout;
}
