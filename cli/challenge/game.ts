/**
 * The game master's side of the challenge: `kots challenge new` draws a secret
 * variant of the rules (consumer/events/variant.ts) and stores it where the
 * consumer finds it; `reveal` shows it after a confirmation; `reset` goes back
 * to the original rules. Nothing here prints the rules unless asked to reveal.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { describeRules, drawVariant, type RevealedRule } from '../../consumer/events/variant.js';
import { variantStore } from '../../consumer/events/variant-store.js';
import { ORIGINAL_RULES } from '../../consumer/events/rules.js';
import type { KotsConfig } from '../../core/config/index.js';
import { KotsError } from '../../core/errors.js';
import { openLake, RAW_WEATHER_PREFIX, CONSOLIDATED_WEATHER_PREFIX } from '../../core/lake/index.js';

export async function newGame(config: KotsConfig, seed: string | undefined): Promise<string> {
  const lake = openLake(config.lake);
  const store = variantStore(config, lake);
  const variant = drawVariant(seed ?? randomBytes(8).toString('hex'));
  await store.save(variant);
  const existing = (await lake.list(RAW_WEATHER_PREFIX)).length + (await lake.list(CONSOLIDATED_WEATHER_PREFIX)).length;
  return [
    `a secret variant of the ten rules is active (seed hidden; stored in ${store.describe()}).`,
    'Readings labelled from now on follow it: restart a running kots up or kots consumer, then kots simulate --days 30.',
    existing > 0
      ? `The lake already holds ${existing} files labelled by the rules in force when they were written: for a fair game, start from an empty lake (lake.path / KOTS_LAKE_PATH).`
      : 'The lake is empty: a fair start.',
    'kots challenge reveal shows the rules when the game is over; kots challenge reset goes back to the original ones.',
  ].join('\n');
}

export async function resetGame(config: KotsConfig): Promise<string> {
  const store = variantStore(config, openLake(config.lake));
  await store.clear();
  return `the original rules are active again (${store.describe()}); restart a running kots up or kots consumer`;
}

export interface Revealed {
  variant: boolean;
  seed?: string;
  rules: RevealedRule[];
}

export async function revealRules(config: KotsConfig): Promise<Revealed> {
  const variant = await variantStore(config, openLake(config.lake)).load();
  return variant ? { variant: true, seed: variant.seed, rules: describeRules(variant.rules) } : { variant: false, rules: describeRules(ORIGINAL_RULES) };
}

/** Asks on the terminal; without one, only --yes can confirm. */
export async function confirmReveal(yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) throw new KotsError('USAGE', 'kots challenge reveal shows the answers: confirm with --yes when there is no terminal to ask on');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('Show the rules of this game? Anyone who sees them knows every answer. [y/N] ');
    if (!/^y(es)?$/i.test(answer.trim())) throw new KotsError('USAGE', 'not revealed');
  } finally {
    rl.close();
  }
}

export function formatRevealed(revealed: Revealed): string {
  const header = revealed.variant
    ? `The game master's variant (seed ${revealed.seed}):`
    : 'No variant is active: the original rules (consumer/events/README.md):';
  const lines = revealed.rules.map(
    (r) => `${String(r.id).padStart(2)}  ${r.name.padEnd(26)} gate ${r.gate >= 1 ? 'none' : r.gate.toFixed(2)}   ${r.condition}`,
  );
  return [header, '', ...lines, '', 'Tried in this order; a failed gate falls through to the next rule; the first that fires wins.'].join('\n');
}
