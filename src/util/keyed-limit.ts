import pLimit, { type LimitFunction } from 'p-limit';

/**
 * One p-limit per key, created on first use: `limit(key, fn)` runs at most `size` fns at once for the
 * same key. Process-wide on purpose where the key is a server: two runs in one process share its cap.
 */
export function keyedLimit(size: number) {
  const limits = new Map<string, LimitFunction>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    let limit = limits.get(key);
    if (!limit) {
      limit = pLimit(size);
      limits.set(key, limit);
    }
    return limit(fn);
  };
}
