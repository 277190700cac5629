import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the librdkafka Kafka client (@confluentinc/kafka-javascript, a native addon) lives once
 * scripts/bridge/install-librdkafka-client.sh has built it: outside the repo, in kots' cache,
 * one folder per package version and Node ABI, complete once the marker file exists.
 * It is not an npm dependency because its install fetches prebuilt binaries and library sources
 * from outside the npm registry; the script builds it from the registry tarball instead.
 *
 * This module imports only Node built-ins and uses only erasable TypeScript, so the install
 * script asks it for the folder with plain `node` (one place for the version and the path).
 */
export const LIBRDKAFKA_CLIENT_PACKAGE = '@confluentinc/kafka-javascript';
export const LIBRDKAFKA_CLIENT_VERSION = '1.10.1';
export const LIBRDKAFKA_CLIENT_INSTALL_SCRIPT = 'scripts/bridge/install-librdkafka-client.sh';
const COMPLETE_MARKER = '.kots-complete';

/** The build folder for this Node (ABI, platform, arch); $KOTS_LIBRDKAFKA_CLIENT_DIR overrides it. */
export function librdkafkaClientDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KOTS_LIBRDKAFKA_CLIENT_DIR) return env.KOTS_LIBRDKAFKA_CLIENT_DIR;
  const cache = env.KOTS_CACHE ?? join(homedir(), '.cache', 'kots');
  const build = `kafka-javascript-${LIBRDKAFKA_CLIENT_VERSION}-node-abi${process.versions.modules}-${process.platform}-${process.arch}`;
  return join(cache, 'librdkafka-client', build);
}

/** The marker the install script writes last, after the built addon loaded. */
export function librdkafkaClientMarker(dir: string = librdkafkaClientDir()): string {
  return join(dir, COMPLETE_MARKER);
}

export function librdkafkaClientInstalled(dir: string = librdkafkaClientDir()): boolean {
  return existsSync(librdkafkaClientMarker(dir));
}

/** Loads the built package (its CommonJS entry) from the cache folder; throws when it is not there. */
export function loadLibrdkafkaClient<T = unknown>(dir: string = librdkafkaClientDir()): T {
  return createRequire(join(dir, 'package.json'))(LIBRDKAFKA_CLIENT_PACKAGE) as T;
}
