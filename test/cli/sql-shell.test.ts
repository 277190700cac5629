/**
 * `kots sql` with the DuckDB CLI's habits: dot commands, scripts that keep going after an
 * error but exit non-zero (or stop at once with --bail), a last statement without ";",
 * -c and -f, and at a terminal (tmux, 60 columns): rows cut to the width and Ctrl-C that
 * clears the line instead of leaving.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KOTS_BIN, terminalEnvironment, waitFor } from '../helpers/processes.js';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const cwd = mkdtempSync(join(tmpdir(), 'kots-sql-shell-'));

function sql(args: string[], input?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [KOTS_BIN, 'sql', ...args], { cwd, env: terminalEnvironment(), timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input ?? '');
  });
}

describe('kots sql scripts', () => {
  it('goes on after an error, exits 1, and runs a last statement that has no semicolon', async () => {
    const out = await sql([], 'select 1 as first;\nselect nosuch;\nselect 3 as third;\nselect 4 as last');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/error \(stdin:2\): Binder Error/);
    expect(out.stdout).toMatch(/first[\s\S]*third[\s\S]*last\n─+\n4/);
  });

  it('stops at the first error with --bail', async () => {
    const out = await sql(['--bail'], 'select nosuch;\nselect 3 as third;');
    expect(out.code).toBe(1);
    expect(out.stdout).not.toMatch(/third/);
  });

  it('understands .help .tables .schema .mode .timer .read .output .quit and refuses unknown ones without breaking the next statement', async () => {
    const included = join(cwd, 'included.sql');
    writeFileSync(included, 'select 7 as from_read;\n');
    const results = join(cwd, 'results.csv');
    const script = [
      '.help',
      '.tables',
      '.schema events',
      '.mode csv',
      '.timer on',
      'select 41 + 1 as answer;',
      `.read ${included}`,
      '.nosuch',
      'select 5 as after_unknown;',
      `.output ${results}`,
      "select 'to the file' as where_to;",
      '.output',
      '.mode json',
      'select 6 as json_row;',
      '.quit',
      'select 99 as never;',
    ].join('\n');
    const out = await sql([], script);
    expect(out.stdout).toMatch(/\.schema \[NAME\]/);
    expect(out.stdout).toMatch(/consolidated_readings\s+events\s+raw_readings\s+readings/);
    expect(out.stdout).toMatch(/event_name\s+│ VARCHAR/);
    expect(out.stdout).toMatch(/answer\n42\n/);
    expect(out.stderr).toMatch(/Run Time: \d+\.\d{3} s/);
    expect(out.stdout).toMatch(/from_read\n7\n/);
    expect(out.stderr).toMatch(/unknown command \.nosuch; \.help lists them/);
    expect(out.stdout).toMatch(/after_unknown\n5\n/);
    expect(readFileSync(results, 'utf8')).toBe('where_to\nto the file\n');
    expect(out.stdout).not.toMatch(/to the file/);
    expect(out.stdout).toMatch(/\{"json_row":6\}/);
    expect(out.stdout).not.toMatch(/never/);
    // The unknown dot command was an error: a script that had one exits non-zero.
    expect(out.code).toBe(1);
  });

  it('-c runs SQL and -f runs a file, like the DuckDB CLI and psql', async () => {
    const file = join(cwd, 'two.sql');
    writeFileSync(file, 'select 1 as one;\nselect 2 as two');
    const fromFile = await sql(['-f', file, '--format', 'csv']);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toBe('one\n1\ntwo\n2\n');
    const inline = await sql(['-c', 'select 3 as three', '--format', 'csv']);
    expect(inline.stdout).toBe('three\n3\n');
    expect(inline.stderr).toMatch(/the lake folder \.\/kots-lake does not exist/);
  });
});

const socket = `kots-sql-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
/** Types text literally, then optional keys (tmux reads an argument's trailing ";" as a command separator unless escaped). */
const type = (text: string, ...keys: string[]) => {
  tmux('send-keys', '-t', 'sql', '-l', text.replace(/;$/, '\\;'));
  if (keys.length) tmux('send-keys', '-t', 'sql', ...keys);
};
const screen = () =>
  tmux('capture-pane', '-p', '-J', '-t', 'sql')
    .split('\n')
    .map((l) => l.trimEnd());

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
});

describe('kots sql at a terminal', () => {
  it('cuts wide rows to the width, and Ctrl-C clears the line instead of leaving', async () => {
    execFileSync(
      'tmux',
      [
        '-L',
        socket,
        '-f',
        '/dev/null',
        'new-session',
        '-d',
        '-s',
        'sql',
        '-x',
        '60',
        '-y',
        '30',
        '-c',
        cwd,
        `${process.execPath} ${KOTS_BIN} sql; echo "EXIT CODE $?"; sleep 600`,
      ],
      { env: { ...terminalEnvironment(), TERM: 'xterm-256color' } },
    );
    await waitFor('the prompt', async () => screen().some((l) => l.startsWith('kots>')), 30_000);
    type("select repeat('x', 200) as wide, 1 as n;", 'Enter');
    await waitFor('the result', async () => screen().some((l) => /^\(1 row\)/.test(l)), 30_000);
    const rows = screen().filter((l) => l.startsWith('xxx'));
    expect(rows).toHaveLength(1);
    expect([...rows[0]!].length).toBeLessThanOrEqual(60);
    expect(rows[0]).toMatch(/…$/);

    // Half a statement, then Ctrl-C: the prompt stays, the text is gone, the next statement is clean.
    type('select 1 +', 'Enter');
    type('broken', 'C-c');
    await waitFor('^C echoed', async () => screen().some((l) => /^ {3}\.\.\.> \^C$/.test(l)), 10_000);
    type('select 5 as five;', 'Enter');
    await waitFor('the clean statement', async () => screen().some((l) => /^five/.test(l)), 30_000);
    expect(screen().join('\n')).not.toMatch(/EXIT CODE/);
    expect(screen().join('\n')).not.toMatch(/error/i);

    type('.quit', 'Enter');
    await waitFor('the exit', async () => screen().some((l) => l.startsWith('EXIT CODE')), 30_000);
    expect(screen()).toContain('EXIT CODE 0');
  });
});
