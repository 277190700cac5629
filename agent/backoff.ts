/**
 * Exponential back-off with "full jitter" (delay drawn uniformly between half
 * and all of the exponential step), so a fleet that lost its broker together
 * does not come back in lock-step.
 */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    const step = Math.min(this.options.maxMs, this.options.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    const random = this.options.random ?? Math.random;
    return Math.round(step / 2 + (step / 2) * random());
  }

  reset(): void {
    this.attempt = 0;
  }
}
