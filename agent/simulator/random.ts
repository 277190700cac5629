/**
 * Deterministic randomness for the simulator: every number is a hash of
 * (seed, city, purpose, index), never Math.random, so a seed and a clock give
 * the same readings on every machine and every run.
 */

/** A 32-bit integer hash with good avalanche (lowbias32 by Chris Wellons). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** A family of uniform numbers in [0, 1) addressed by (purpose, index). */
export class HashedRandom {
  private readonly base: number;

  constructor(seed: number, scope: string) {
    this.base = mix32(hashString(scope) ^ mix32(seed | 0));
  }

  uniform(purpose: number, index: number): number {
    const h = mix32(this.base ^ mix32(purpose ^ mix32(Math.floor(index) | 0)) ^ Math.floor(index / 4294967296));
    return h / 4294967296;
  }

  /** In [-1, 1). */
  signed(purpose: number, index: number): number {
    return this.uniform(purpose, index) * 2 - 1;
  }

  /** Approximately standard normal (sum of four uniforms, scaled). */
  normal(purpose: number, index: number): number {
    let sum = 0;
    for (let i = 0; i < 4; i++) sum += this.uniform(purpose + i * 7919, index);
    return (sum - 2) * Math.sqrt(3);
  }

  /** Smooth value noise in [-1, 1]: hashed knots every unit of `position`, eased in between. */
  smooth(purpose: number, position: number): number {
    const knot = Math.floor(position);
    const t = position - knot;
    const eased = t * t * (3 - 2 * t);
    const a = this.signed(purpose, knot);
    const b = this.signed(purpose, knot + 1);
    return a + (b - a) * eased;
  }
}

/** Purposes: fixed numbers so that adding one never shifts the others. */
export const PURPOSE = {
  regimeInit: 1,
  regimeStay: 2,
  regimePick: 3,
  tempSlow: 10,
  tempFast: 11,
  tempNoise: 12,
  windSlow: 20,
  windNoise: 21,
  windDir: 22,
  gust: 23,
  humidity: 30,
  fogDay: 31,
  fogDepth: 32,
  pressure: 40,
  clouds: 50,
  precip: 60,
  condition: 70,
  visibility: 80,
  dust: 90,
} as const;
