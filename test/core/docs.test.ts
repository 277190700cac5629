import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmeWithReference } from '../../scripts/gen-docs.js';

describe('generated documentation', () => {
  it('README.md carries the current configuration reference (npm run docs)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme, 'README.md is stale: run `npm run docs`').toBe(readmeWithReference(readme));
  });
});
