import { abortableSleep } from '../util/abortable-sleep.js';
import { backoffDelay } from './planner.js';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  /** Only these errors are retried (lock timeouts, deadlocks); anything else fails at once. */
  retryable(err: unknown): boolean;
  signal?: AbortSignal;
  onRetry?(attempt: number, delayMs: number, err: unknown): void;
}

export class RetriesExhausted extends Error {
  constructor(
    readonly attempts: number,
    readonly last: unknown,
  ) {
    super(`gave up after ${attempts} attempts`);
    this.name = 'RetriesExhausted';
  }
}

/**
 * Runs `fn`, and when it fails for want of a lock, backs off (exponentially, with jitter) and tries again —
 * pgroll's and gh-ost's answer to a busy table: never queue behind a long lock, come back later.
 * Throws RetriesExhausted when every attempt hit a lock, the original error otherwise.
 */
export async function withLockRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!policy.retryable(err)) throw err;
      if (attempt >= policy.retries || policy.signal?.aborted) throw new RetriesExhausted(attempt + 1, err);
      const delay = backoffDelay(attempt, policy.baseDelayMs);
      policy.onRetry?.(attempt + 1, delay, err);
      await abortableSleep(delay, policy.signal);
    }
  }
}
