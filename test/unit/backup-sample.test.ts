import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSample, pickSample, sampleSize } from '../../src/backup/sample.js';
import { UsageError } from '../../src/core/errors.js';

/** A small seeded generator (mulberry32), so a sample is reproducible. */
function seeded(seed: number) {
  let a = seed;
  return (n: number) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

describe('sample', () => {
  it('parses a count or a percentage and rejects the rest', () => {
    assert.deepEqual(parseSample('10'), { count: 10 });
    assert.deepEqual(parseSample(3), { count: 3 });
    assert.deepEqual(parseSample('5%'), { percent: 5 });
    assert.deepEqual(parseSample('12.5%'), { percent: 12.5 });
    for (const bad of ['0', '-1', '0%', '101%', 'ten', '1.5', ''])
      assert.throws(() => parseSample(bad), UsageError, bad);
  });

  it('rounds a percentage up and caps at the fleet size', () => {
    assert.equal(sampleSize({ percent: 1 }, 1000), 10);
    assert.equal(sampleSize({ percent: 1 }, 5), 1);
    assert.equal(sampleSize({ count: 50 }, 7), 7);
    assert.equal(sampleSize({ percent: 50 }, 0), 0);
  });

  it('picks a subset of the requested size, without duplicates', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const picked = pickSample(ids, { percent: 10 }, seeded(1));
    assert.equal(picked.size, 10);
    for (const id of picked) assert.ok(ids.includes(id));
  });

  it('is random: different seeds give different subsets, the same seed the same one', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `t${i}`);
    const a = [...pickSample(ids, { count: 5 }, seeded(1))].sort();
    const b = [...pickSample(ids, { count: 5 }, seeded(2))].sort();
    assert.deepEqual(a, [...pickSample(ids, { count: 5 }, seeded(1))].sort());
    assert.notDeepEqual(a, b);
  });

  it('covers every tenant about equally often (no bias to the front of the list)', () => {
    const ids = Array.from({ length: 10 }, (_, i) => i);
    const hits = new Array(10).fill(0);
    const random = seeded(42);
    for (let i = 0; i < 5000; i++) for (const id of pickSample(ids, { count: 3 }, random)) hits[id]++;
    for (const h of hits) assert.ok(h > 1300 && h < 1700, `hits ${hits.join(',')}`); // expected 1500 each
  });
});
