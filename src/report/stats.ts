import type { DurationStats } from './types.js';

/**
 * The nearest-rank percentile of an ascending list: the smallest value such that at least `p` percent
 * of the values are less than or equal to it. Undefined for an empty list.
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return undefined;
  // p × n first: (7 / 100) × 100 is 7.000000000000001 and would round up a rank.
  return sorted[Math.ceil((p * sorted.length) / 100) - 1];
}

/** p50/p95/max of durations in ms (pure; the input is left untouched). Non-finite values are a bug. */
export function durationStats(values: readonly number[]): DurationStats {
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`not a duration: ${v}`);
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50) ?? null,
    p95: percentile(sorted, 95) ?? null,
    max: sorted.at(-1) ?? null,
  };
}
