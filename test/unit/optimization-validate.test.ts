import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { parseIndexColumn } from '../../src/optimization/columns.js';
import {
  countPlaceholders,
  predicateProblem,
  validateOptimization,
  validateOptimizations,
} from '../../src/optimization/validate.js';

describe('optimization definitions', () => {
  test('accepts each kind with its fields', () => {
    for (const value of [
      {
        kind: 'index',
        name: 'a_idx',
        table: 'a',
        columns: ['x', 'y desc', '(lower(z))'],
        unique: true,
        where: 'x > 0',
      },
      {
        kind: 'cleanup',
        name: 'old_rows',
        table: 'a',
        where: 'created_at < ?',
        bindings: ['2020-01-01'],
        batchSize: 10,
      },
      {
        kind: 'cleanup',
        name: 'old_rows_fn',
        table: 'a',
        where: 'created_at < ?',
        bindings: () => [new Date()],
      },
      { kind: 'analyze', name: 'stats' },
      { kind: 'analyze', name: 'some_stats', tables: ['a', 'b'], onlyModified: true },
      { kind: 'custom', name: 'vacuum_it', run: async () => {}, once: true, dialects: ['postgres'] },
    ]) {
      assert.deepEqual(validateOptimization(value).problems, [], JSON.stringify(value));
    }
  });

  test('refuses an empty, blank or always-true cleanup predicate', () => {
    assert.match(predicateProblem('')!, /must not be empty/);
    assert.match(predicateProblem('   \n ')!, /must not be empty/);
    assert.match(predicateProblem('TRUE')!, /always true/);
    assert.match(predicateProblem(' ( 1 = 1 ) ')!, /always true/);
    assert.match(predicateProblem('id > 0; drop table a')!, /without ";"/);
    assert.equal(predicateProblem('deleted_at is not null'), undefined);
    const { problems } = validateOptimization({ kind: 'cleanup', name: 'c', table: 't', where: ' ' });
    assert.deepEqual(problems, [
      'where must not be empty: a cleanup without a predicate would delete every row',
    ]);
    assert.match(
      validateOptimization({ kind: 'cleanup', name: 'c', table: 't' }).problems[0]!,
      /^where is required/,
    );
  });

  test('checks bindings against the placeholders', () => {
    assert.equal(countPlaceholders('a = ? and b = ?? and c = \\?'), 2);
    const { problems } = validateOptimization({
      kind: 'cleanup',
      name: 'c',
      table: 't',
      where: 'a < ? and b > ?',
      bindings: [1],
    });
    assert.deepEqual(problems, ['bindings has 1 value(s) but the predicate has 2 placeholder(s)']);
  });

  test('reports every problem of every definition at once, duplicates included', () => {
    assert.throws(
      () =>
        validateOptimizations([
          { file: '010.ts', value: { kind: 'index', name: 'bad-name', table: 'orders' } },
          {
            file: '010.ts',
            value: { kind: 'index', name: 'ok_idx', table: 'orders', columns: [], colums: ['x'] },
          },
          { file: '020.ts', value: { kind: 'cleanup', name: 'purge', table: 'sessions', where: '' } },
          { file: '030.ts', value: { kind: 'vacuum', name: 'v' } },
          { file: '040.ts', value: { kind: 'analyze', name: 'stats' } },
          { file: '050.ts', value: { kind: 'analyze', name: 'STATS' } },
          { file: '060.ts', value: { kind: 'index', name: 'x_idx', table: 'a b', columns: ['user id'] } },
        ]),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.deepEqual(err.problems, [
          '010.ts: "bad-name": name must be letters, digits and _, starting with a letter or _',
          '010.ts: "bad-name": columns is required: the columns (or expressions) of the index',
          '010.ts: "ok_idx": columns must list at least one column',
          '010.ts: "ok_idx": Unrecognized key: "colums"',
          '020.ts: "purge": where must not be empty: a cleanup without a predicate would delete every row',
          '030.ts: "v": kind must be one of index, cleanup, analyze, custom (got "vacuum")',
          '050.ts: "STATS": the name is already used in 040.ts (names must be unique)',
          '060.ts: "x_idx": table must be a plain table or column name (letters, digits, _ and $, at most 63 characters)',
          '060.ts: "x_idx": columns.0 must be a column name, optionally with asc/desc and nulls first/last, or a parenthesized expression',
        ]);
        return true;
      },
    );
  });

  test('a custom optimization needs a function', () => {
    assert.match(validateOptimization({ kind: 'custom', name: 'c' }).problems[0]!, /^run is required/);
    assert.deepEqual(validateOptimization('index').problems, ['must be an object { kind, name, … }']);
  });

  test('index columns: names with order, or parenthesized expressions', () => {
    assert.deepEqual(parseIndexColumn('user_id'), { kind: 'column', name: 'user_id' });
    assert.deepEqual(parseIndexColumn(' score DESC NULLS LAST '), {
      kind: 'column',
      name: 'score',
      order: 'desc',
      nulls: 'last',
    });
    assert.deepEqual(parseIndexColumn('(lower(email))'), { kind: 'expression', sql: '(lower(email))' });
    assert.equal(parseIndexColumn('(a) + (b)'), undefined);
    // A parenthesis inside a string literal does not end the expression.
    assert.deepEqual(parseIndexColumn("(a = ')')"), { kind: 'expression', sql: "(a = ')')" });
    assert.equal(parseIndexColumn("(a = ')'"), undefined);
    assert.equal(parseIndexColumn('user id'), undefined);
    assert.equal(parseIndexColumn('x; drop table y'), undefined);
  });
});
