import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { durationStats, percentile } from '../../src/report/stats.js';

describe('report stats (nearest-rank percentiles)', () => {
  it('p50 / p95 / max of known lists', () => {
    assert.deepEqual(durationStats([15, 20, 35, 40, 50]), { count: 5, p50: 35, p95: 50, max: 50 });
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual(durationStats(hundred), { count: 100, p50: 50, p95: 95, max: 100 });
    const twenty = Array.from({ length: 20 }, (_, i) => (i + 1) * 10);
    assert.deepEqual(durationStats(twenty), { count: 20, p50: 100, p95: 190, max: 200 });
    assert.deepEqual(durationStats([10, 20, 30, 40]), { count: 4, p50: 20, p95: 40, max: 40 });
  });

  it('ranks exactly, without floating-point drift (0.07 × 100 is 7.000000000000001)', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    for (let p = 1; p <= 100; p++) assert.equal(percentile(hundred, p), p);
  });

  it('empty input: count 0 and no values', () => {
    assert.deepEqual(durationStats([]), { count: 0, p50: null, p95: null, max: null });
    assert.equal(percentile([], 50), undefined);
  });

  it('one value is every percentile', () => {
    assert.deepEqual(durationStats([42]), { count: 1, p50: 42, p95: 42, max: 42 });
  });

  it('sorts numerically without touching the input', () => {
    const input = [900, 5, 100, 20];
    assert.deepEqual(durationStats(input), { count: 4, p50: 20, p95: 900, max: 900 });
    assert.deepEqual(input, [900, 5, 100, 20]);
  });

  it('rejects a percentile outside (0, 100] and a non-finite duration', () => {
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
    assert.throws(() => durationStats([1, Number.NaN]), RangeError);
    assert.throws(() => durationStats([Number.POSITIVE_INFINITY]), RangeError);
  });

  it('property: the nearest rank — at least p% are ≤ it, fewer than p% are below it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 100 }),
        (values, p) => {
          const sorted = [...values].sort((a, b) => a - b);
          const v = percentile(sorted, p)!;
          const atMost = values.filter((x) => x <= v).length / values.length;
          const below = values.filter((x) => x < v).length / values.length;
          return values.includes(v) && atMost >= p / 100 && below < p / 100;
        },
      ),
    );
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1 }), (values) => {
        const s = durationStats(values);
        return (
          s.p50! <= s.p95! && s.p95! <= s.max! && s.max === Math.max(...values) && s.count === values.length
        );
      }),
    );
  });
});
