/**
 * Vitest global setup: compiles bin/kots.js's dist/ once before the tests that spawn it, so they
 * run today's code at the speed users get (bin/kots.js would fall back to the sources through
 * tsx when dist/ is older than an edit, which is correct but slow).
 */
import { buildCli } from '../../scripts/build/cli.mjs';

export default async function setup(): Promise<void> {
  await buildCli({ quiet: true });
}
