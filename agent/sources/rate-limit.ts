/**
 * One call rate per API key, shared by every agent in this process (`kots up`
 * runs many): OpenWeather's free tier allows 60 calls a minute per key, not
 * per agent. Calls are spaced evenly, first come first served. Agents on other
 * devices cannot see this limiter; give each the share of the key it may use
 * (agent.openweatherCallsPerMinute, also settable remotely per device).
 */
const limiters = new Map<string, KeyLimiter>();

class KeyLimiter {
  private nextFreeAt = 0;
  /** Earliest moment the key may be used again after a 429 with Retry-After. */
  private blockedUntil = 0;

  /** Resolves when this caller may make one call at `callsPerMinute`. */
  async acquire(callsPerMinute: number): Promise<void> {
    const spacing = 60_000 / callsPerMinute;
    const now = Date.now();
    const at = Math.max(now, this.nextFreeAt, this.blockedUntil);
    this.nextFreeAt = at + spacing;
    if (at > now) await new Promise((resolve) => setTimeout(resolve, at - now));
  }

  block(untilMs: number): void {
    this.blockedUntil = Math.max(this.blockedUntil, untilMs);
  }
}

export function limiterFor(apiKey: string): KeyLimiter {
  let limiter = limiters.get(apiKey);
  if (!limiter) {
    limiter = new KeyLimiter();
    limiters.set(apiKey, limiter);
  }
  return limiter;
}

export type { KeyLimiter };
