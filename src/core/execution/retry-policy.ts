/**
 * Retry delays: the delay before retry `n` under a {@link RetryPolicy} (constant, linear or
 * exponential backoff; no, full or plus-minus jitter), with the random source injected.
 *
 * @example
 * ```ts
 * retryDelayMs({ maxRetries: 3, delayMs: 100, backoff: 'exponential' }, { retry: 3 }); // 400
 * ```
 */
import type { RetryPolicy } from '../definitions/asset-definition.js';

/** Options of {@link retryDelayMs}. */
export interface RetryDelayOptions {
  /** 1 for the first retry. */
  retry: number;
  /** Uniform random in [0, 1). Default Math.random. */
  random?: () => number;
}

/** Milliseconds to wait before the given retry. */
export function retryDelayMs(policy: RetryPolicy, options: RetryDelayOptions): number {
  const base = policy.delayMs ?? 0;
  const n = Math.max(1, options.retry);
  const backoff = policy.backoff ?? 'constant';
  let delay: number;
  switch (backoff) {
    case 'constant':
      delay = base;
      break;
    case 'linear':
      delay = base * n;
      break;
    case 'exponential':
      delay = base * 2 ** (n - 1);
      break;
  }
  const random = options.random ?? Math.random;
  const jitter = policy.jitter ?? 'none';
  switch (jitter) {
    case 'none':
      break;
    case 'full':
      delay = delay * random();
      break;
    case 'plus-minus':
      delay = delay * (0.5 + random());
      break;
  }
  return Math.round(Math.min(delay, policy.maxDelayMs ?? Number.POSITIVE_INFINITY));
}
