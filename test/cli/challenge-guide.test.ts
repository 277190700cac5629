/** `kots challenge guide` reads analysis/GUIDE.md: every step with the query to run next. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analysisFolder, formatOverview, formatStep, readGuide } from '../../cli/challenge/guide.js';

describe('kots challenge guide', () => {
  const steps = readGuide(analysisFolder());

  it('has the guide’s steps in order, each naming queries that exist', () => {
    expect(steps.map((s) => s.number)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps[0]!.title).toBe('Know the data');
    for (const step of steps) for (const query of step.queries) expect(existsSync(query), query).toBe(true);
    expect(steps.flatMap((s) => s.queries).length).toBeGreaterThanOrEqual(9);
  });

  it('says what to run next: a month of data first, then the first query; a step in full points at the following one', () => {
    expect(formatOverview(steps, true)).toMatch(/^next: kots simulate --days 30/m);
    expect(formatOverview(steps, false)).toMatch(/^next: kots sql --file \S*01-inventory\.sql$/m);
    const third = formatStep(steps, 3);
    expect(third).toMatch(/^3\. Profile one event/);
    expect(third).toMatch(/^next: kots sql --file \S*04-event-profile\.sql$/m);
    expect(third).toMatch(/^then: kots challenge guide 4 /m);
    expect(() => formatStep(steps, 9)).toThrow(/there is no step 9/);
  });
});
