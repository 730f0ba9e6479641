import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { definitionChecksum, stableStringify } from '../../src/optimization/checksum.js';

describe('optimization checksums', () => {
  test('key order and undefined members do not change the checksum', () => {
    const a = { kind: 'index', name: 'x_idx', table: 'x', columns: ['a', 'b'], unique: undefined };
    const b = { columns: ['a', 'b'], table: 'x', name: 'x_idx', kind: 'index' };
    assert.equal(definitionChecksum(a), definitionChecksum(b));
    assert.match(definitionChecksum(a), /^[0-9a-f]{64}$/);
  });

  test('any change to the definition changes it, column order included', () => {
    const base = { kind: 'index', name: 'x_idx', table: 'x', columns: ['a', 'b'] };
    const variants = [
      { ...base, columns: ['b', 'a'] },
      { ...base, unique: true },
      { ...base, where: 'a > 0' },
      { ...base, table: 'y' },
    ];
    const sums = new Set([base, ...variants].map(definitionChecksum));
    assert.equal(sums.size, variants.length + 1);
  });

  test('functions count by their source, line endings normalized', () => {
    const one = { kind: 'custom', name: 'c', run: () => 1 };
    const same = { kind: 'custom', name: 'c', run: () => 1 };
    const other = { kind: 'custom', name: 'c', run: () => 2 };
    assert.equal(definitionChecksum(one), definitionChecksum(same));
    assert.notEqual(definitionChecksum(one), definitionChecksum(other));
    const crlf = { toString: () => 'x\r\ny' };
    const fn = Object.assign(() => 0, { toString: () => 'x\ny' });
    const fnCrlf = Object.assign(() => 0, crlf);
    assert.equal(stableStringify({ f: fn }), stableStringify({ f: fnCrlf }));
  });

  test('a bindings function keeps the checksum stable from run to run; a literal date would not', () => {
    const fn = { kind: 'cleanup', bindings: () => [new Date()] };
    assert.equal(stableStringify(fn), stableStringify({ kind: 'cleanup', bindings: () => [new Date()] }));
    assert.equal(stableStringify({ d: new Date(0) }), '{"d":{"date":"1970-01-01T00:00:00.000Z"}}');
  });

  test('refuses a cycle instead of overflowing', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    assert.throws(() => stableStringify(a), /cycle/);
    const shared = { x: 1 };
    assert.equal(stableStringify({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  });
});
