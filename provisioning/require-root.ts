/**
 * `--sd` needs root: a card's root partition must get root-owned files (unit
 * files, the root-run setup script). Checked by the CLI before anything is
 * read or locked, and again by the SD delivery. Kept apart from deliver-sd.ts
 * so the CLI can check it without loading the provisioning code.
 */
import { KotsError } from '../core/errors.js';

export function requireRootForSd(path: string): void {
  if (process.getuid?.() !== 0) {
    throw new KotsError(
      'USAGE',
      `--sd ${path} writes root-owned files onto the card's root partition: run it as root (sudo kots fleet provision ... --sd ${path})`,
    );
  }
}
