/** Every sub-command's --help ends with examples: what people copy first. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KOTS_BIN } from '../helpers/processes.js';

const help = (...path: string[]) => execFileSync(process.execPath, [KOTS_BIN, ...path, '--help'], { encoding: 'utf8' });
const subcommands = (text: string) =>
  (text.split(/^Commands:$/m)[1] ?? '')
    .split('\n')
    .map((line) => /^ {2}([a-z][a-z-]*)/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help');

describe('kots --help', () => {
  it('gives examples for every sub-command', () => {
    const missing: string[] = [];
    const leaves: string[] = [];
    const walk = (path: string[]) => {
      const text = help(...path);
      const children = subcommands(text);
      if (children.length === 0 || path.length === 0) {
        if (!/^Examples:\n {2}\$ \S/m.test(text)) missing.push(path.join(' ') || '(kots)');
        leaves.push(path.join(' '));
      }
      for (const child of children) walk([...path, child]);
    };
    walk([]);
    expect(leaves.length).toBeGreaterThan(20);
    expect(missing).toEqual([]);
  });
});
