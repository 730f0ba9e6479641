import { randomInt } from 'node:crypto';
import { UsageError } from '../core/errors.js';

/** `--sample 10` (tenants) or `--sample 5%` (of the selected tenants). */
export type SampleSpec = { count: number } | { percent: number };

export function parseSample(value: string | number): SampleSpec {
  const text = String(value).trim();
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent <= 0 || percent > 100)
      throw new UsageError(`sample (--sample) ${text}: a percentage must be above 0% and at most 100%`);
    return { percent };
  }
  if (/^\d+$/.test(text) && Number(text) >= 1) return { count: Number(text) };
  throw new UsageError(
    `sample (--sample) ${text}: expected a number of tenants (e.g. 10) or a percentage (e.g. 5%)`,
  );
}

/** How many of `total` tenants a sample covers: a percentage rounds up, so a non-empty fleet samples ≥ 1. */
export function sampleSize(spec: SampleSpec, total: number): number {
  if ('count' in spec) return Math.min(spec.count, total);
  return Math.min(total, Math.ceil((total * spec.percent) / 100));
}

/**
 * A uniformly random subset (partial Fisher–Yates). `random(n)` returns an integer in [0, n); tests
 * pass a seeded one.
 */
export function pickSample<T>(
  items: readonly T[],
  spec: SampleSpec,
  random: (n: number) => number = randomInt,
): Set<T> {
  const pool = [...items];
  const size = sampleSize(spec, pool.length);
  for (let i = 0; i < size; i++) {
    const j = i + random(pool.length - i);
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return new Set(pool.slice(0, size));
}
