import pLimit, { type LimitFunction } from 'p-limit';

/**
 * One p-limit per key, created on first use: `limit(key, fn)` runs at most `size` fns at once for the
 * same key. Process-wide on purpose where the key is a server: two runs in one process share its cap.
 * `lower(key, size)` narrows one key's cap for the rest of its life (a server that refused connections).
 */
export function keyedLimit(size: number) {
  const limits = new Map<string, LimitFunction>();
  const limitOf = (key: string): LimitFunction => {
    let limit = limits.get(key);
    if (!limit) {
      limit = pLimit(size);
      limits.set(key, limit);
    }
    return limit;
  };
  const run = <T>(key: string, fn: () => Promise<T>): Promise<T> => limitOf(key)(fn);
  return Object.assign(run, {
    /** Lowers `key`'s cap to `to` (at least 1); resolves the change, or undefined when it was not higher. */
    lower(key: string, to: number): { from: number; to: number } | undefined {
      const limit = limitOf(key);
      const from = limit.concurrency;
      const target = Math.max(1, Math.floor(to));
      if (target >= from) return undefined;
      // Running fns finish; no new one starts until fewer than `target` run.
      limit.concurrency = target;
      return { from, to: target };
    },
  });
}
