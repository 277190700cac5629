/**
 * V8 flags a command needs from process start. The heap is sized when Node starts, so a
 * command that wants other heap limits re-executes itself once with them (process.execve:
 * same pid, no parent process left behind). Flags the user already gave (on the command line
 * or in NODE_OPTIONS) win.
 */

/** `--max_semi_space_size=4` and `--max-semi-space-size` name the same flag. */
const flagName = (flag: string) => flag.replace(/=.*$/, '').replaceAll('_', '-');

/** The flags of `wanted` that this process was not started with. */
export function missingFlags(wanted: readonly string[], given: readonly string[]): string[] {
  const names = new Set(given.map(flagName));
  return wanted.filter((flag) => !names.has(flagName(flag)));
}

/** Re-executes this process with `flags` added, unless it already has them or cannot (no execve, Windows). Returns when nothing was done. */
export function reexecWith(flags: readonly string[]): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  const missing = missingFlags(flags, given);
  if (missing.length === 0 || process.platform === 'win32' || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env as Record<string, string>);
}
