/**
 * `kots challenge guide`: the steps of analysis/GUIDE.md in the terminal, each
 * with the query to run next, so a player never has to open the file to know
 * what to type.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KotsError } from '../../core/errors.js';

export interface GuideStep {
  number: number;
  title: string;
  body: string;
  /** analysis/*.sql files the step names, as paths relative to the working folder. */
  queries: string[];
}

/** analysis/ of this kots (from the sources or from dist/: the first parent folder that has it). */
export function analysisFolder(start = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'analysis', 'GUIDE.md'))) return join(dir, 'analysis');
    if (dirname(dir) === dir) throw new KotsError('USAGE', 'cannot find analysis/GUIDE.md next to this kots installation');
  }
}

export function readGuide(folder = analysisFolder()): GuideStep[] {
  const text = readFileSync(join(folder, 'GUIDE.md'), 'utf8');
  // Paths as the player types them: relative from inside the repository, absolute from elsewhere.
  const fromHere = relative(process.cwd(), folder);
  const shown = fromHere.startsWith('..') ? folder : fromHere || '.';
  return [...text.matchAll(/^## (\d+)\. (.+)\n([\s\S]*?)(?=^## |(?![\s\S]))/gm)].map(([, number, title = '', body = '']) => ({
    number: Number(number),
    title: title.replace(/\s*\([^)]*\)\s*$/, '').trim(),
    body: body.trim(),
    queries: [...new Set([...body.matchAll(/`(\d\d-[a-z0-9-]+\.sql)`/g)].map(([, file = '']) => join(shown, file)))],
  }));
}

const command = (query: string) => `kots sql --file ${query}`;

function nextCommand(step: GuideStep): string {
  const [query] = step.queries;
  if (query !== undefined) return command(query);
  const check = /kots challenge check [^\n`]+/.exec(step.body);
  return check ? check[0] : 'kots challenge check <event> --where "<your condition>"';
}

export function formatOverview(steps: GuideStep[], lakeEmpty: boolean): string {
  const lines = ['The investigation, step by step (analysis/GUIDE.md):', ''];
  for (const step of steps) {
    lines.push(`  ${step.number}. ${step.title}${step.queries.length ? `  —  ${step.queries.map(command).join(', ')}` : ''}`);
  }
  lines.push('');
  const [first] = steps;
  if (lakeEmpty) lines.push('next: kots simulate --days 30   (the lake is empty: a month of data first)');
  else if (first) lines.push(`next: ${nextCommand(first)}`);
  lines.push('      kots challenge guide <step>   shows a step in full');
  return lines.join('\n');
}

export function formatStep(steps: GuideStep[], number: number): string {
  const step = steps.find((s) => s.number === number);
  if (!step) throw new KotsError('USAGE', `the guide has steps ${steps.map((s) => s.number).join(', ')}; there is no step ${number}`);
  const after = steps.find((s) => s.number === number + 1);
  return [
    `${step.number}. ${step.title}`,
    '',
    step.body,
    '',
    `next: ${nextCommand(step)}`,
    ...step.queries.slice(1).map((q) => `      ${command(q)}`),
    after
      ? `then: kots challenge guide ${after.number}   (${after.title})`
      : 'then: kots challenge check <event> --where "<condition>" until every event is solved',
  ].join('\n');
}
