import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HEADERS } from '../../core/bus.js';
import { DEVICE_TOPIC_KINDS } from '../../core/topics.js';
import { WEATHER_COLUMNS } from '../../core/lake/columns.js';
import { readmeWithReference } from '../../scripts/gen-docs.js';

describe('generated documentation', () => {
  it('README.md carries the current configuration reference (npm run docs)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme, 'README.md is stale: run `npm run docs`').toBe(readmeWithReference(readme));
  });
});

describe('docs/design.md, the contracts page', () => {
  const design = readFileSync(new URL('../../docs/design.md', import.meta.url), 'utf8');

  it('names every lake column the code writes', () => {
    const missing = WEATHER_COLUMNS.map(([name]) => name).filter((name) => !design.includes(`\`${name}\``));
    expect(missing, 'columns in core/lake/columns.ts missing from docs/design.md "Lake columns"').toEqual([]);
  });

  it('names every Kafka header the code writes', () => {
    const missing = Object.values(HEADERS).filter((header) => !design.includes(`\`${header}\``));
    expect(missing, 'headers in core/bus.ts missing from docs/design.md "Kafka topics and headers"').toEqual([]);
  });

  it('names every MQTT topic kind the code uses', () => {
    const missing = DEVICE_TOPIC_KINDS.filter((kind) => !design.includes(`\`kots/v1/<city>/<device>/${kind}\``));
    expect(missing, 'topic kinds in core/topics.ts missing from docs/design.md "MQTT topics"').toEqual([]);
  });

  it('is the only design page the repository cites (the old one lived outside it)', () => {
    const root = new URL('../../', import.meta.url);
    const outside = ['DESIGN', 'md'].join('.');
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
    const citing = files.filter((file) => readFileSync(new URL(file, root), 'utf8').includes(outside));
    expect(citing, `cite docs/design.md instead of ${outside}`).toEqual([]);
  });
});
