/**
 * What `kots simulate` shows while it runs: on a terminal a progress bar
 * (cli-progress) with the simulated date, readings, rate and time left;
 * elsewhere (CI, a pipe, a log file) a plain line every few seconds.
 */
import { SingleBar } from 'cli-progress';
import type { SimulationProgress } from '../../agent/simulate.js';

export interface ProgressView {
  update(progress: SimulationProgress): void;
  stop(): void;
}

const PLAIN_EVERY_MS = 5_000;
const number = new Intl.NumberFormat('en');

export function progressView(stream: NodeJS.WriteStream = process.stdout): ProgressView {
  const started = Date.now();
  const rate = (acked: number) => acked / Math.max(0.001, (Date.now() - started) / 1000);
  if (stream.isTTY) {
    const bar = new SingleBar({
      format: 'simulating {day} {bar} {value}/{total} readings · {rate}/s · {eta_formatted} left',
      hideCursor: true,
      etaBuffer: 40,
      fps: 5,
      stream,
    });
    let total = 0;
    return {
      update(p) {
        const payload = { day: p.simulatedAt.toISOString().slice(0, 10), rate: number.format(Math.round(rate(p.acked))) };
        if (total === 0) {
          total = p.expected;
          bar.start(total, 0, payload);
        }
        // The expected total is an estimate (random intervals): never let the bar run past its end.
        if (p.acked > total) {
          total = p.acked;
          bar.setTotal(total);
        }
        bar.update(p.acked, payload);
      },
      stop() {
        if (total > 0) bar.stop();
      },
    };
  }
  let lastLine = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - lastLine < PLAIN_EVERY_MS) return;
      lastLine = now;
      const perSecond = rate(p.acked);
      const left = perSecond > 0 ? Math.max(0, (p.expected - p.acked) / perSecond) : undefined;
      stream.write(
        `simulate: ${p.simulatedAt.toISOString().slice(0, 10)} · ${number.format(p.acked)} of about ${number.format(p.expected)} readings · ` +
          `${number.format(Math.round(perSecond))}/s${left === undefined ? '' : ` · about ${Math.ceil(left)} s left`}\n`,
      );
    },
    stop() {},
  };
}
