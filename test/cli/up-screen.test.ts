/**
 * `kots up` as a person sees it: driven in a pseudo-terminal (tmux) of 100 columns. The
 * screen holds no JSON log line, no line wider than the terminal (wrapped lines are joined
 * back with capture-pane -J, so a too-long line shows up as one), and no event line twice:
 * repeats of one event in one city are folded into one counted line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KOTS_BIN, terminalEnvironment, waitFor } from '../helpers/processes.js';

const COLUMNS = 100;
const socket = `kots-up-screen-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
/** The screen as lines, wrapped lines joined (-J): a line wider than the terminal comes back whole. */
const screen = () =>
  tmux('capture-pane', '-p', '-J', '-t', 'up')
    .split('\n')
    .map((line) => line.trimEnd());
const width = (line: string) => [...line].length;

function checkScreen(lines: string[]): void {
  for (const line of lines) {
    expect(line, 'a JSON log line on the screen').not.toMatch(/^\s*\{.*"(level|msg)"/);
    expect(width(line), `wider than ${COLUMNS} columns: ${line}`).toBeLessThanOrEqual(COLUMNS);
  }
  const start = lines.findIndex((l) => l.startsWith('surreal events'));
  if (start === -1) return;
  const events = lines.slice(start + 1).filter((l) => /^\d\d:\d\d:\d\d {2}\S/.test(l));
  // "HH:MM:SS  City         Event name ×N: newsflash": one line per city and event.
  const keys = events.map((l) =>
    l
      .slice(10)
      .split(':')[0]!
      .replace(/ ×\d+$/, '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  expect(new Set(keys).size, `an event line repeated:\n${events.join('\n')}`).toBe(keys.length);
}

afterAll(() => {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
});

describe('kots up on a terminal', () => {
  it('draws a screen of words fitted to 100 columns, folds repeated events, and keeps JSON in the log file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kots-up-screen-'));
    const env = { ...terminalEnvironment(), KOTS_BRIDGE_PORT: '0' };
    const command = `${process.execPath} ${KOTS_BIN} up; echo "EXIT CODE $?"; sleep 600`;
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'up', '-x', String(COLUMNS), '-y', '40', '-c', cwd, command], { env });
    const seen: string[][] = [];
    try {
      // Cold cities fire The Cat Whisperer often: within a minute one city repeats an event.
      await waitFor(
        'a folded event line (×2 or more) and readings written',
        async () => {
          const lines = screen();
          seen.push(lines);
          checkScreen(lines);
          return lines.some((l) => /written [1-9]/.test(l)) && lines.some((l) => /^\d\d:\d\d:\d\d {2}.* ×\d+: /.test(l));
        },
        90_000,
        500,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- screen ---\n${screen().join('\n')}`);
    }
    const running = screen();
    // The README shows this screen; keep the latest one for it.
    mkdirSync(join(process.cwd(), 'test-output'), { recursive: true });
    writeFileSync(join(process.cwd(), 'test-output', 'up-screen.txt'), `${running.join('\n').trimEnd()}\n`);
    expect(running.join('\n')).toMatch(/kots up: logs \(JSON lines\) in kots-state\/kots\.log/);
    expect(running.join('\n')).toMatch(/^city +readings +events +last event$/m);
    expect(running.filter((l) => /^(Takamatsu|Reykjavik|Yakutsk) +\d+ +\d+ /.test(l))).toHaveLength(3);

    tmux('send-keys', '-t', 'up', 'C-c');
    await waitFor('the exit code', async () => screen().some((l) => /^EXIT CODE \d+/.test(l)), 60_000);
    const after = screen();
    checkScreen(after.filter((l) => !l.startsWith('EXIT CODE')));
    expect(after).toContain('EXIT CODE 0');
    expect(after.join('\n')).toMatch(/stopped; everything acknowledged is in the lake/);
    // The JSON went to the file whose path was printed: every line of it is a log entry.
    const logFile = join(cwd, 'kots-state', 'kots.log');
    expect(existsSync(logFile)).toBe(true);
    const entries = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string });
    expect(entries.some((e) => e.msg === 'agent started')).toBe(true);
    expect(seen.length).toBeGreaterThan(2);
  });
});
