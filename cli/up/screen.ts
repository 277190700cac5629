/**
 * What `kots up` shows a person. On a terminal: one screen redrawn in place (log-update),
 * every line cut to the terminal's width (cli-truncate), so a redraw never leaves broken
 * text behind: a header, a compact table of the cities, the surreal events as they happen
 * with repeats of one event in one city folded into one counted line, and warnings and
 * errors in words (the JSON logs go to a file). Without a terminal: plain lines, one per
 * update, for logs and tests.
 */
import cliTruncate from 'cli-truncate';
import { createLogUpdate } from 'log-update';
import type { SurrealAlert } from '../../consumer/pipeline.js';
import type { Notice } from '../../core/log.js';

export interface PipelineFigures {
  received: number;
  written: number;
  files: number;
  events: number;
  deadLettered: number;
  /** Readings written per city slug. */
  perCity: Record<string, number>;
}

export interface UpView {
  /** A line of the header (addresses, where the logs go); shown above everything else. */
  info(line: string): void;
  alert(alert: SurrealAlert): void;
  notice(notice: Notice): void;
  figures(figures: PipelineFigures): void;
  /** Says the stack is stopping (Ctrl-C seen). */
  stopping(): void;
  /** Last frame stays on the screen, then the closing line. */
  close(lastLine: string): void;
}

export interface CityRow {
  slug: string;
  name: string;
}

/** One line per (city, event) or per kind of notice, counting repeats. */
interface Folded {
  key: string;
  count: number;
  first: Date;
  last: Date;
  /** What it is (city and event, or the notice): the count goes right after it, before a detail that may be cut. */
  label: string;
  detail: string;
}

const MAX_FOLDED = 200;

class FoldedLines {
  private readonly byKey = new Map<string, Folded>();

  add(key: string, label: string, detail = '', at = new Date()): void {
    const seen = this.byKey.get(key);
    if (seen) {
      this.byKey.delete(key);
      seen.count++;
      seen.last = at;
      seen.label = label;
      seen.detail = detail;
      this.byKey.set(key, seen);
    } else {
      this.byKey.set(key, { key, count: 1, first: at, last: at, label, detail });
      const oldest = this.byKey.keys().next();
      if (this.byKey.size > MAX_FOLDED && !oldest.done) this.byKey.delete(oldest.value);
    }
  }

  /** Newest first. */
  newest(limit: number): Folded[] {
    return [...this.byKey.values()].reverse().slice(0, Math.max(0, limit));
  }

  get size(): number {
    return this.byKey.size;
  }
}

const clock = (at: Date) => at.toTimeString().slice(0, 8);
const times = (count: number) => (count > 1 ? ` ×${count}` : '');
const folded = (f: Folded) => `${f.label}${times(f.count)}${f.detail ? `: ${f.detail}` : ''}`;

/** The numbers line, the same words on a terminal and off it (tests and scripts read it). */
export function figuresLine(f: PipelineFigures): string {
  return `in ${f.received} · written ${f.written} · files ${f.files} · events ${f.events} · dead-letter ${f.deadLettered}`;
}

export interface ScreenState {
  header: string[];
  cities: CityRow[];
  figures: PipelineFigures;
  eventsPerCity: Map<string, number>;
  lastEventPerCity: Map<string, { name: string; at: Date }>;
  events: FoldedLines;
  notices: FoldedLines;
  status: string;
}

/** The frame for a terminal of `width` × `height`: no line longer than `width`, no more lines than `height - 1`. */
export function renderScreen(state: ScreenState, width: number, height: number): string {
  const fit = (line: string) => cliTruncate(line, Math.max(10, width), { position: 'end' });
  const lines: string[] = [...state.header];
  const nameWidth = Math.min(16, Math.max(4, ...state.cities.map((c) => c.name.length)));
  lines.push('');
  lines.push(`${'city'.padEnd(nameWidth)}  ${'readings'.padStart(8)}  ${'events'.padStart(6)}  last event`);
  for (const city of state.cities) {
    const last = state.lastEventPerCity.get(city.slug);
    lines.push(
      `${cliTruncate(city.name, nameWidth).padEnd(nameWidth)}  ${String(state.figures.perCity[city.slug] ?? 0).padStart(8)}  ${String(state.eventsPerCity.get(city.slug) ?? 0).padStart(6)}  ${last ? `${last.name} (${clock(last.at)})` : '-'}`,
    );
  }
  lines.push('');
  lines.push(`${figuresLine(state.figures)} · ${state.status}`);
  const noticeLines = state.notices.newest(4).map((n) => `! ${clock(n.last)} ${folded(n)}`);
  // Events take the rows left: the screen never grows taller than the terminal (a redraw would scroll).
  const room = height - 1 - lines.length - 2 - (noticeLines.length ? noticeLines.length + 1 : 0);
  if (state.events.size > 0 && room > 0) {
    lines.push('', 'surreal events (newest first; repeats counted)');
    for (const e of state.events.newest(room)) lines.push(`${clock(e.last)}  ${folded(e)}`);
  }
  if (noticeLines.length) lines.push('', ...noticeLines);
  return lines
    .slice(0, Math.max(1, height - 1))
    .map(fit)
    .join('\n');
}

function newState(cities: CityRow[]): ScreenState {
  return {
    header: [],
    cities,
    figures: { received: 0, written: 0, files: 0, events: 0, deadLettered: 0, perCity: {} },
    eventsPerCity: new Map(),
    lastEventPerCity: new Map(),
    events: new FoldedLines(),
    notices: new FoldedLines(),
    status: 'running; Ctrl-C stops and flushes',
  };
}

function recordAlert(state: ScreenState, alert: SurrealAlert): void {
  const at = new Date();
  state.eventsPerCity.set(alert.city, (state.eventsPerCity.get(alert.city) ?? 0) + 1);
  state.lastEventPerCity.set(alert.city, { name: alert.eventName, at });
  state.events.add(`${alert.city}\u0000${alert.eventId}`, `${alert.cityName.padEnd(12)} ${alert.eventName}`, alert.newsflash, at);
}

/** Notices differing only in numbers (next try in 3.2 s, 12 attempts) are one notice, counted. */
const noticeKey = (notice: Notice) => `${notice.level}\u0000${notice.text.replace(/\d+(\.\d+)?/g, '#')}`;

/** The redrawn screen for a terminal. */
export function terminalView(out: NodeJS.WriteStream, cities: CityRow[]): UpView {
  const state = newState(cities);
  const log = createLogUpdate(out);
  let closed = false;
  let shown = '';
  const draw = () => {
    if (closed) return;
    const frame = renderScreen(state, out.columns ?? 80, out.rows ?? 24);
    if (frame === shown) return;
    // A whole new frame each time: log-update's line diffing left stale rows behind when the header grew.
    log.clear();
    log(frame);
    shown = frame;
  };
  // Redrawn at most 4 times a second whatever happens, and on resize.
  const timer = setInterval(draw, 250);
  timer.unref();
  out.on('resize', draw);
  return {
    info: (line) => {
      state.header.push(line);
      draw();
    },
    alert: (alert) => recordAlert(state, alert),
    notice: (notice) => state.notices.add(noticeKey(notice), `${notice.level === 'warn' ? 'warning' : 'error'}: ${notice.text}`),
    figures: (figures) => {
      state.figures = figures;
    },
    stopping: () => {
      state.status = 'stopping: flushing what is buffered to the lake';
      draw();
    },
    close: (lastLine) => {
      state.status = 'stopped';
      draw();
      closed = true;
      clearInterval(timer);
      out.off('resize', draw);
      log.done();
      out.write(`${lastLine}\n`);
    },
  };
}

/** Plain lines for pipes and files: a figures line at most every 2 s, one line per event and notice. */
export function plainView(out: NodeJS.WritableStream): UpView {
  let last = '';
  let lastAt = 0;
  let latest: PipelineFigures | undefined;
  const printFigures = (force: boolean) => {
    if (!latest) return;
    const line = `${figuresLine(latest)}${
      Object.keys(latest.perCity).length
        ? ` │ ${Object.entries(latest.perCity)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([c, n]) => `${c} ${n}`)
            .join(' · ')}`
        : ''
    }`;
    if (!force && (line === last || Date.now() - lastAt < 2000)) return;
    last = line;
    lastAt = Date.now();
    out.write(`${line}\n`);
  };
  return {
    info: (line) => void out.write(`${line}\n`),
    alert: (alert) => void out.write(`⚡ ${alert.cityName} ${alert.localTime.slice(11, 16)} · ${alert.eventName}: ${alert.newsflash}\n`),
    // Off a terminal the JSON logs are on stderr already.
    notice: () => {},
    figures: (figures) => {
      latest = figures;
      printFigures(false);
    },
    stopping: () => {},
    close: (lastLine) => {
      printFigures(true);
      out.write(`${lastLine}\n`);
    },
  };
}
