/**
 * Per-device message rate: a token bucket (steady rate plus a burst). A
 * device over its rate is slowed, not dropped: its publish waits for a token,
 * and since the bridge holds the PUBACK meanwhile, a well-behaved client (one
 * with a bounded in-flight window, like the kots agent replaying its spool)
 * simply goes slower.
 *
 * Honest catch-up versus abuse: the bucket fills at the steady rate whether
 * the device is connected or not, up to a burst sized to a full agent spool.
 * A device that was offline made readings far slower than the steady rate, so
 * it comes back with at least as many tokens as it has spooled readings, and
 * its backlog drains at full speed. A client that sends continuously gets the
 * burst once, then the steady rate: over any long window it averages at most
 * `maxMessagesPerMinute`. A client that does not wait for its PUBACKs (QoS 0
 * flood, unbounded pipelining) runs up a debt of waiting messages; more than
 * the receive maximum of them is a protocol abuse and it is disconnected.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    /** Messages a client may have waiting for a token before it counts as abusive. */
    private readonly maxDebt: number,
    now = performance.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
  }

  /**
   * Takes one token. Returns how long (ms) the message must wait for it:
   * 0 = now, or `Infinity` when the debt would exceed `maxDebt` (abuse).
   */
  take(now = performance.now()): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    if (-(this.tokens - 1) > this.maxDebt) return Number.POSITIVE_INFINITY;
    this.tokens -= 1;
    return (-this.tokens / this.ratePerSecond) * 1000;
  }

  /** True when the bucket is full again (nothing about it is worth remembering). */
  isFull(now = performance.now()): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}

/**
 * Buckets of devices that disconnected with tokens spent, so that reconnecting
 * does not refill a bucket; forgotten once they are full again.
 */
export class RateLimiter {
  private readonly parked = new Map<string, TokenBucket>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly maxDebt: number,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  /** The bucket of a device that connects (its parked one, or a full one). */
  bucketFor(id: string): TokenBucket {
    const parked = this.parked.get(id);
    if (parked) {
      this.parked.delete(id);
      return parked;
    }
    return new TokenBucket(this.ratePerSecond, this.burst, this.maxDebt);
  }

  /** A device disconnected: keep its bucket while it is not full. */
  park(id: string, bucket: TokenBucket): void {
    if (!bucket.isFull()) this.parked.set(id, bucket);
  }

  get parkedCount(): number {
    return this.parked.size;
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, bucket] of this.parked) if (bucket.isFull(now)) this.parked.delete(id);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
