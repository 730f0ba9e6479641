import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import type { IndexState } from '../../src/dialect/optimize-types.js';
import { normalizeSqliteIndexSql } from '../../src/dialect/sqlite/optimize-index.js';
import {
  backoffDelay,
  cleanupStop,
  customAlreadyDone,
  decideIndex,
  indexAction,
  nextBatchLimit,
  optimizationsFor,
  selectOptimizations,
  wouldDelete,
} from '../../src/optimization/planner.js';
import type { LoadedOptimization } from '../../src/optimization/types.js';

const present = (valid: boolean, matches: boolean): IndexState => ({
  exists: true,
  table: 't',
  valid,
  matches,
  definition: 'old',
  wanted: 'new',
});
const ours = (checksum: string) => ({ name: 'i', kind: 'index', checksum, action: 'created' });

describe('optimization planner', () => {
  test('index decisions', () => {
    assert.equal(decideIndex({ exists: false }, undefined, 'c1'), 'create');
    assert.equal(decideIndex(present(true, true), undefined, 'c1'), 'skip');
    assert.equal(decideIndex(present(true, true), ours('c0'), 'c1'), 'skip');
    assert.equal(decideIndex(present(false, true), ours('c1'), 'c1'), 'heal');
    assert.equal(decideIndex(present(false, false), undefined, 'c1'), 'heal');
    // Different definition: rebuilt only when dbfleet built it from an earlier definition.
    assert.equal(decideIndex(present(true, false), ours('c0'), 'c1'), 'rebuild');
    assert.equal(decideIndex(present(true, false), ours('c1'), 'c1'), 'conflict');
    assert.equal(decideIndex(present(true, false), undefined, 'c1'), 'conflict');
    assert.equal(decideIndex(present(true, false), { ...ours('c0'), kind: 'custom' }, 'c1'), 'conflict');
  });

  test('index actions, live and dry', () => {
    assert.equal(indexAction('create', false), 'created');
    assert.equal(indexAction('create', true), 'would-create');
    assert.equal(indexAction('heal', true), 'would-heal');
    assert.equal(indexAction('rebuild', false), 'rebuilt');
    assert.equal(indexAction('skip', true), 'skipped');
    assert.equal(indexAction('conflict', false), 'conflict');
  });

  const loaded = (name: string, dialects?: ('postgres' | 'sqlite')[]): LoadedOptimization => ({
    definition: { kind: 'analyze', name, ...(dialects ? { dialects } : {}) },
    checksum: name,
  });

  test('--only keeps directory order and refuses unknown names', () => {
    const all = [loaded('a'), loaded('b'), loaded('c')];
    assert.deepEqual(
      selectOptimizations(all).map((o) => o.definition.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      selectOptimizations(all, ['c', 'a']).map((o) => o.definition.name),
      ['a', 'c'],
    );
    assert.throws(
      () => selectOptimizations(all, ['a', 'zz']),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /^only \(--only\) zz: no such optimization \(known: a, b, c\)/);
        return true;
      },
    );
  });

  test('dialect restrictions', () => {
    const all = [loaded('any'), loaded('pg', ['postgres']), loaded('lite', ['sqlite'])];
    assert.deepEqual(
      optimizationsFor(all, 'sqlite').map((o) => o.definition.name),
      ['any', 'lite'],
    );
    assert.deepEqual(
      optimizationsFor(all, 'mssql').map((o) => o.definition.name),
      ['any'],
    );
  });

  test('custom `once` is skipped only after success with the same definition', () => {
    const done = { name: 'c', kind: 'custom', checksum: 'x', action: 'ran' };
    assert.equal(customAlreadyDone(true, done, 'x'), true);
    assert.equal(customAlreadyDone(true, done, 'y'), false);
    assert.equal(customAlreadyDone(false, done, 'x'), false);
    assert.equal(customAlreadyDone(true, undefined, 'x'), false);
  });

  test('cleanup batches never overshoot maxRows, and stop on the budgets', () => {
    const limits = { batchSize: 100, maxRows: 250, maxDurationMs: 1000 };
    assert.equal(nextBatchLimit(limits, { deleted: 0, batches: 0, elapsedMs: 0 }), 100);
    assert.equal(nextBatchLimit(limits, { deleted: 200, batches: 2, elapsedMs: 0 }), 50);
    assert.equal(nextBatchLimit({ batchSize: 100 }, { deleted: 10_000, batches: 100, elapsedMs: 0 }), 100);
    assert.equal(cleanupStop(limits, { deleted: 250, batches: 3, elapsedMs: 10 }), 'maxRows');
    assert.equal(cleanupStop(limits, { deleted: 100, batches: 1, elapsedMs: 1000 }), 'maxDurationMs');
    assert.equal(cleanupStop(limits, { deleted: 100, batches: 1, elapsedMs: 999 }), undefined);
    // The first batch always runs, so a tiny budget still makes progress from run to run.
    assert.equal(cleanupStop(limits, { deleted: 0, batches: 0, elapsedMs: 5000 }), undefined);
    assert.equal(wouldDelete(1000, 250), 250);
    assert.equal(wouldDelete(100, 250), 100);
    assert.equal(wouldDelete(100), 100);
  });

  test('backoff doubles with jitter, capped', () => {
    assert.equal(
      backoffDelay(0, 200, 10_000, () => 0.5),
      200,
    );
    assert.equal(
      backoffDelay(3, 200, 10_000, () => 0.5),
      1600,
    );
    assert.equal(
      backoffDelay(10, 200, 10_000, () => 0.5),
      10_000,
    );
    assert.equal(
      backoffDelay(0, 200, 10_000, () => 0),
      160,
    );
    assert.equal(
      backoffDelay(0, 200, 10_000, () => 1),
      240,
    );
  });

  test('SQLite index definitions compare whatever their spelling', () => {
    const ours = normalizeSqliteIndexSql('CREATE INDEX "i" ON "t" ("a", "b" DESC) WHERE deleted_at IS NULL');
    assert.equal(
      ours,
      normalizeSqliteIndexSql('create index if not exists i on t(a asc,b desc)  where deleted_at is null'),
    );
    assert.notEqual(ours, normalizeSqliteIndexSql('CREATE INDEX i ON t (a, b)'));
    // String literals keep their case and spacing.
    assert.notEqual(
      normalizeSqliteIndexSql("CREATE INDEX i ON t (a) WHERE s = 'A  b'"),
      normalizeSqliteIndexSql("CREATE INDEX i ON t (a) WHERE s = 'a b'"),
    );
  });
});
