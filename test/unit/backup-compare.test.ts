import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareFingerprints, describeDifferences } from '../../src/backup/compare.js';
import type { Fingerprint } from '../../src/dialect/backup-types.js';
import { buildFingerprint } from '../../src/dialect/fingerprint-hash.js';

function fp(
  level: Fingerprint['level'],
  tables: Fingerprint['tables'],
  objects: Record<string, string> = {},
): Fingerprint {
  return buildFingerprint(level, tables, objects);
}

const base = fp(
  'counts',
  {
    'public.customers': { schema: 'aaa', rows: 10 },
    'public.orders': { schema: 'bbb', rows: 25 },
  },
  { 'type public.mood': 'e1' },
);

describe('compareFingerprints', () => {
  it('finds nothing between equal fingerprints', () => {
    assert.deepEqual(compareFingerprints(base, structuredClone(base)), []);
  });

  it('names the table, what differs, expected and found', () => {
    const found = fp(
      'counts',
      {
        'public.customers': { schema: 'aaa', rows: 9 },
        'public.orders': { schema: 'bXb', rows: 25 },
        'public.extra': { schema: 'ccc', rows: 0 },
      },
      { 'type public.mood': 'e2' },
    );
    assert.deepEqual(compareFingerprints(base, found), [
      { table: 'public.customers', what: 'rows', expected: 10, found: 9 },
      { table: 'public.extra', what: 'unexpected', expected: null, found: 0 },
      { table: 'public.orders', what: 'schema', expected: 'bbb', found: 'bXb' },
      { table: 'type public.mood', what: 'schema', expected: 'e1', found: 'e2' },
    ]);
  });

  it('reports a missing table and a missing object', () => {
    const found = fp('counts', { 'public.customers': { schema: 'aaa', rows: 10 } });
    assert.deepEqual(compareFingerprints(base, found), [
      { table: 'public.orders', what: 'missing', expected: 25, found: null },
      { table: 'type public.mood', what: 'missing', expected: 'e1', found: null },
    ]);
  });

  it('compares content only where both sides hashed it, and flags a shallower comparison', () => {
    const full = fp('full', { t: { schema: 's', rows: 3, content: 'c1' } });
    assert.deepEqual(compareFingerprints(full, fp('full', { t: { schema: 's', rows: 3, content: 'c2' } })), [
      { table: 't', what: 'content', expected: 'c1', found: 'c2' },
    ]);
    assert.deepEqual(compareFingerprints(full, fp('counts', { t: { schema: 's', rows: 3 } })), [
      { table: '(fingerprint)', what: 'level', expected: 'full', found: 'counts' },
    ]);
    // A schema-level expectation is satisfied by any deeper fingerprint with the same structure.
    assert.deepEqual(
      compareFingerprints(
        fp('schema', { t: { schema: 's' } }),
        fp('full', { t: { schema: 's', rows: 3, content: 'c' } }),
      ),
      [],
    );
  });

  it('a fingerprint of another version is said to be one, a missing version read as 1', () => {
    const v2 = { ...base, version: 2 };
    assert.deepEqual(compareFingerprints(v2, structuredClone(v2)), []);
    assert.deepEqual(compareFingerprints(base, { ...base, version: 1 }), []);
    assert.deepEqual(compareFingerprints(base, v2), [
      { table: '(fingerprint)', what: 'version', expected: 1, found: 2 },
    ]);
  });

  it('the schema hash covers every table schema and object but not row counts', () => {
    const a = fp('counts', { t: { schema: 's', rows: 1 } });
    assert.equal(a.schemaHash, fp('counts', { t: { schema: 's', rows: 2 } }).schemaHash);
    assert.notEqual(a.schemaHash, fp('counts', { t: { schema: 'z', rows: 1 } }).schemaHash);
    assert.notEqual(
      a.schemaHash,
      fp('counts', { t: { schema: 's', rows: 1 } }, { 'view v': 'x' }).schemaHash,
    );
  });

  it('describes differences in one readable line, capped', () => {
    const diffs = Array.from({ length: 7 }, (_, i) => ({
      table: `t${i}`,
      what: 'rows' as const,
      expected: i,
      found: i + 1,
    }));
    const text = describeDifferences(diffs, 2);
    assert.equal(text, 't0: rows expected 0, found 1; t1: rows expected 1, found 2; … and 5 more');
  });
});
