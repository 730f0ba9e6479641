import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';
import { parseBudget, parseWaveSize, planWaves, type Wave } from '../../src/upgrade/waves.js';

function fleet(n: number, tagged: Record<number, string[]> = {}): Tenant[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `t${String(i).padStart(2, '0')}`,
    dialect: 'postgres' as const,
    connection: {},
    host: 'h',
    database: `t${i}`,
    tags: tagged[i] ?? [],
  }));
}

const shape = (waves: Wave[]) => waves.map((w) => [w.index, w.label, w.tenants.length]);
const ids = (w: Wave | undefined) => (w?.tenants ?? []).map((t) => t.id);

/** Every tenant lands in exactly one wave, in inventory order. */
function assertPartition(waves: Wave[], tenants: Tenant[]) {
  const all = waves.flatMap((w) => ids(w));
  assert.equal(new Set(all).size, all.length, 'no tenant in two waves');
  assert.deepEqual([...all].sort(), tenants.map((t) => t.id).sort(), 'nobody left out');
  assert.deepEqual(
    waves.map((w) => w.index),
    waves.map((_, i) => i + 1),
    'indexes are 1, 2, 3…',
  );
  for (const w of waves) assert.ok(w.tenants.length > 0, 'no empty wave');
}

describe('parseWaveSize', () => {
  it('counts, percentages and rest', () => {
    assert.deepEqual(parseWaveSize('5'), { kind: 'count', n: 5 });
    assert.deepEqual(parseWaveSize(' 25% '), { kind: 'percent', p: 25 });
    assert.deepEqual(parseWaveSize('12.5%'), { kind: 'percent', p: 12.5 });
    assert.deepEqual(parseWaveSize('100%'), { kind: 'percent', p: 100 });
    assert.deepEqual(parseWaveSize('rest'), { kind: 'rest' });
    assert.deepEqual(parseWaveSize('ALL'), { kind: 'rest' });
  });

  for (const bad of ['0', '0%', '101%', '-3', '1.5', 'abc', '', '5 %x', '%']) {
    it(`refuses ${JSON.stringify(bad)} with a usage error`, () => {
      assert.throws(() => parseWaveSize(bad), UsageError);
    });
  }
});

describe('parseBudget', () => {
  it('no budget means zero failures tolerated', () => {
    assert.equal(parseBudget(undefined, 100), 0);
  });
  it('a count, as string or number', () => {
    assert.equal(parseBudget('3', 100), 3);
    assert.equal(parseBudget(2, 100), 2);
    assert.equal(parseBudget('0', 100), 0);
  });
  it('a percentage of the selection, rounded down', () => {
    assert.equal(parseBudget('10%', 100), 10);
    assert.equal(parseBudget('10%', 35), 3);
    assert.equal(parseBudget('10%', 9), 0, '10% of 9 tenants tolerates no failure');
    assert.equal(parseBudget('100%', 7), 7);
  });
  for (const bad of ['x', '-1', '1.5', '10 %', '']) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseBudget(bad, 10), UsageError);
    });
  }
});

describe('planWaves', () => {
  it('no canary and no waves: one wave with everybody', () => {
    const tenants = fleet(7);
    const waves = planWaves({ tenants });
    assert.deepEqual(shape(waves), [[1, 'rest', 7]]);
    assert.deepEqual(
      ids(waves[0]),
      tenants.map((t) => t.id),
    );
  });

  it('an empty selection gives no wave', () => {
    assert.deepEqual(planWaves({ tenants: [], waves: '5,rest' }), []);
  });

  it('--canary <n>: the first n of the selection, then the rest', () => {
    const tenants = fleet(10);
    const waves = planWaves({ tenants, canary: '3' });
    assert.deepEqual(shape(waves), [
      [1, 'canary: 3', 3],
      [2, 'rest', 7],
    ]);
    assert.deepEqual(ids(waves[0]), ['t00', 't01', 't02']);
    assertPartition(waves, tenants);
  });

  it('--canary <tag>: the tagged tenants wherever they are in the inventory, in inventory order', () => {
    const tenants = fleet(10, { 7: ['canary'], 2: ['eu', 'canary'], 5: ['eu'] });
    const waves = planWaves({ tenants, canary: 'canary' });
    assert.deepEqual(ids(waves[0]), ['t02', 't07']);
    assert.equal(waves[0]!.label, 'canary: canary');
    assert.ok(!ids(waves[1]).includes('t02') && !ids(waves[1]).includes('t07'));
    assertPartition(waves, tenants);
  });

  it('only the canary wave is marked canary (the upgrade gates on it, not on "the first wave")', () => {
    const waves = planWaves({ tenants: fleet(10), canary: '2', waves: '3,rest' });
    assert.deepEqual(
      waves.map((w) => w.canary === true),
      [true, false, false],
    );
    for (const canary of ['0', '', undefined]) {
      const plain = planWaves({ tenants: fleet(10), canary, waves: '3,rest' });
      assert.deepEqual(shape(plain), [
        [1, '3', 3],
        [2, 'rest', 7],
      ]);
      assert.ok(!plain.some((w) => w.canary), `--canary ${JSON.stringify(canary)} makes no canary wave`);
    }
  });

  it('--canary with a tag nobody has is a usage error (not a silent run without canary)', () => {
    assert.throws(() => planWaves({ tenants: fleet(3), canary: 'nope' }), UsageError);
  });

  it('--waves 5,25%,rest after a canary: percentages are of the whole selection', () => {
    const tenants = fleet(40, { 0: ['canary'], 1: ['canary'] });
    const waves = planWaves({ tenants, canary: 'canary', waves: '5,25%,rest' });
    assert.deepEqual(shape(waves), [
      [1, 'canary: canary', 2],
      [2, '5', 5],
      [3, '25%', 10],
      [4, 'rest', 23],
    ]);
    assert.deepEqual(ids(waves[1]), ['t02', 't03', 't04', 't05', 't06']);
    assertPartition(waves, tenants);
  });

  it('a small percentage still takes at least one tenant', () => {
    const waves = planWaves({ tenants: fleet(10), waves: '1%,rest' });
    assert.deepEqual(shape(waves), [
      [1, '1%', 1],
      [2, 'rest', 9],
    ]);
  });

  it('tenants left after the listed waves form a last wave: nobody is silently left out', () => {
    const tenants = fleet(10);
    const waves = planWaves({ tenants, waves: '2,3' });
    assert.deepEqual(shape(waves), [
      [1, '2', 2],
      [2, '3', 3],
      [3, 'rest', 5],
    ]);
    assertPartition(waves, tenants);
  });

  it('waves larger than what is left stop when everybody is placed (no empty wave)', () => {
    const tenants = fleet(6);
    const waves = planWaves({ tenants, canary: '2', waves: '10,50%,rest' });
    assert.deepEqual(shape(waves), [
      [1, 'canary: 2', 2],
      [2, '10', 4],
    ]);
    assertPartition(waves, tenants);
  });

  it('a canary larger than the selection takes everybody, once', () => {
    const tenants = fleet(3);
    const waves = planWaves({ tenants, canary: '10', waves: 'rest' });
    assert.deepEqual(shape(waves), [[1, 'canary: 10', 3]]);
  });

  it('a bad wave size is a usage error', () => {
    assert.throws(() => planWaves({ tenants: fleet(3), waves: '5,x' }), UsageError);
  });

  it('partitions any fleet for any plan', () => {
    for (let n = 1; n <= 25; n++) {
      for (const plan of ['1', '10%,rest', '3,3,3', '50%,50%', '33%', 'rest,5']) {
        const tenants = fleet(n, { [n - 1]: ['c'] });
        assertPartition(planWaves({ tenants, canary: 'c', waves: plan }), tenants);
        assertPartition(planWaves({ tenants, waves: plan }), tenants);
      }
    }
  });
});
