/** Back-off with full jitter, the one retry loop of kots (kafkajs and AWS use the same shape). */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 200;
  const max = options.maxMs ?? 10_000;
  const factor = options.factor ?? 2;
  const ceiling = Math.min(max, initial * factor ** attempt);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryOptions extends BackoffOptions {
  signal?: AbortSignal;
  /** Decides which errors are worth another try; default: all but those marked `retryable: false`. */
  isRetryable?: (error: unknown) => boolean;
  /** Called before each wait; return false to give up and rethrow (anything else, or nothing, goes on). */
  onError?: (error: unknown, attempt: number, delayMs: number) => unknown;
}

/** Retries `action` until it succeeds, the error is not retryable, or the signal aborts. */
export async function retryUntilDone<T>(action: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      const retryable = options.isRetryable ? options.isRetryable(error) : (error as { retryable?: boolean }).retryable !== false;
      if (!retryable) throw error;
      if (options.signal?.aborted) throw error;
      const delay = backoffDelay(attempt, options);
      if (options.onError?.(error, attempt, delay) === false) throw error;
      await sleep(delay, options.signal);
    }
  }
}
