/**
 * Per-device message rate: a token bucket (steady rate plus a burst). A
 * device over its rate is slowed, not dropped: its publish waits for a token,
 * and since the bridge holds the PUBACK meanwhile, a well-behaved client (one
 * with a bounded in-flight window, like the kots agent replaying its spool)
 * simply goes slower. A client that keeps sending without waiting runs up a
 * debt beyond the burst and is disconnected as abusive.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now = performance.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /**
   * Takes one token. Returns how long (ms) the message must wait for it:
   * 0 = now, or `Infinity` when the debt would exceed the burst (abuse).
   */
  take(now = performance.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    if (-(this.tokens - 1) > this.burst) return Number.POSITIVE_INFINITY;
    this.tokens -= 1;
    return (-this.tokens / this.ratePerSecond) * 1000;
  }
}
