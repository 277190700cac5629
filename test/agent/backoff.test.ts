import { describe, expect, it } from 'vitest';
import { Backoff } from '../../agent/backoff.js';
import { RealTimePacer, SimulatedPacer, randomIntervalMs } from '../../agent/pacer.js';

describe('Backoff', () => {
  it('doubles from the minimum up to the maximum, with jitter between half and all of the step', () => {
    const low = new Backoff({ minMs: 100, maxMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5].map(() => low.next())).toEqual([50, 100, 200, 400, 500]);
    const high = new Backoff({ minMs: 100, maxMs: 1000, random: () => 1 });
    expect([1, 2, 3, 4, 5].map(() => high.next())).toEqual([100, 200, 400, 800, 1000]);
    high.reset();
    expect(high.next()).toBe(100);
  });
});

describe('pacing of readings', () => {
  it('draws intervals uniformly between the minimum and the maximum', () => {
    expect(randomIntervalMs({ minSeconds: 10, maxSeconds: 30 }, 0)).toBe(10_000);
    expect(randomIntervalMs({ minSeconds: 10, maxSeconds: 30 }, 0.5)).toBe(20_000);
    expect(randomIntervalMs({ minSeconds: 0.01, maxSeconds: 0.05 }, 1)).toBeCloseTo(50);
  });

  it('randomises the first wait too, so agents booted together spread out', async () => {
    const draws = [0.5, 0.1]; // interval share, then the first-wait share
    const pacer = new RealTimePacer(
      () => ({ minSeconds: 1, maxSeconds: 3 }),
      () => draws.shift() ?? 0,
    );
    const started = Date.now();
    const [at] = await pacer.next();
    // 2 s interval × 0.1 = 200 ms, not the full 2 s.
    expect(Date.now() - started).toBeLessThan(1000);
    expect(at).toBeInstanceOf(Date);
  });

  it('runs a simulated clock from a date to an end, deterministically for a seed', async () => {
    const make = () =>
      new SimulatedPacer({
        from: new Date('2024-01-01T00:00:00Z'),
        until: new Date('2024-01-02T00:00:00Z'),
        intervals: { minSeconds: 300, maxSeconds: 900 },
        seed: 7,
        scope: 'dev',
        room: async () => {},
      });
    const drain = async (pacer: SimulatedPacer) => {
      const all: Date[] = [];
      for (let batch = await pacer.next(50); batch.length > 0; batch = await pacer.next(50)) all.push(...batch);
      return all;
    };
    const a = await drain(make());
    const b = await drain(make());
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(86_400 / 900);
    expect(a.length).toBeLessThan(86_400 / 300 + 1);
    expect(a.at(-1)!.getTime()).toBeLessThan(Date.parse('2024-01-02T00:00:00Z'));
  });
});
