/**
 * Weather regimes that persist: an hourly Markov chain over states ordered from
 * fair to stormy. A regime stays for hours (a sunny spell, a rainy day); when it
 * changes it mostly moves to a neighbouring state (clouds before rain), and
 * the states it moves to are weighted by the place's climate and season.
 */
import { PURPOSE, type HashedRandom } from './random.js';

export const REGIMES = ['clear', 'fair', 'cloudy', 'overcast', 'drizzle', 'rain', 'heavy', 'storm'] as const;
export type Regime = (typeof REGIMES)[number];

export interface RegimeClimate {
  wetness: number;
  /** 0 cold season … 1 warm season. */
  warmth: number;
  /** Seasonal mean temperature (°C): convective storms need warm air. */
  meanC: number;
}

/** Long-run share of each regime in this climate. */
export function regimeWeights(c: RegimeClimate): number[] {
  const w = c.wetness;
  const convective = c.meanC > 18 ? 1 + (c.meanC - 18) / 6 : c.meanC > 8 ? 0.5 : 0.15;
  return [
    0.3 / w, // clear
    0.22, // fair
    0.18, // cloudy
    0.12 * w, // overcast
    0.08 * w, // drizzle
    0.12 * w, // rain
    0.05 * w * (0.6 + c.warmth), // heavy
    0.05 * w * convective * (0.4 + c.warmth), // storm
  ];
}

/** Mean hours a regime lasts before the chain leaves it. */
const MEAN_HOURS: Record<Regime, number> = { clear: 18, fair: 10, cloudy: 8, overcast: 10, drizzle: 6, rain: 8, heavy: 3, storm: 2 };

export function initialRegime(random: HashedRandom, hour: number, c: RegimeClimate): Regime {
  return pick(regimeWeights(c), random.uniform(PURPOSE.regimeInit, hour));
}

export function nextRegime(current: Regime, random: HashedRandom, hour: number, c: RegimeClimate): Regime {
  if (random.uniform(PURPOSE.regimeStay, hour) < 1 - 1 / MEAN_HOURS[current]) return current;
  const from = REGIMES.indexOf(current);
  const weights = regimeWeights(c).map((weight, to) => {
    if (to === from) return 0;
    const distance = Math.abs(to - from);
    // Neighbours are likely, far jumps rare (a clear sky turns to storm through clouds).
    return weight * (distance === 1 ? 1 : distance === 2 ? 0.35 : 0.06);
  });
  return pick(weights, random.uniform(PURPOSE.regimePick, hour));
}

function pick(weights: number[], u: number): Regime {
  const total = weights.reduce((a, b) => a + b, 0);
  let target = u * total;
  // The last regime takes what rounding leaves over.
  let chosen: Regime = REGIMES[0];
  for (const [i, regime] of REGIMES.entries()) {
    chosen = regime;
    target -= weights[i] ?? 0;
    if (target < 0) break;
  }
  return chosen;
}
