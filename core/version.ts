import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Inside a single-binary agent there is no package.json; the bundler defines KOTS_VERSION instead.
    return process.env.KOTS_VERSION ?? '0.0.0';
  }
}

export const KOTS_VERSION = readVersion();
