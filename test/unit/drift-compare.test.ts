import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SchemaShape, TableShape } from '../../src/dialect/schema-shape.js';
import { relativeKey } from '../../src/dialect/schema-shape.js';
import { canonicalShape, shapeHash } from '../../src/dialect/shape-hash.js';
import { compareShapes, describeDifference } from '../../src/drift/compare.js';

function users(): TableShape {
  return {
    properties: {},
    columns: [
      { name: 'id', type: 'integer', nullable: false, default: null, extra: 'generated always as identity' },
      { name: 'email', type: 'character varying(100)', nullable: false, default: null },
      { name: 'locale', type: 'text', nullable: true, default: "'en'::text" },
    ],
    indexes: [
      {
        name: 'users_pkey',
        definition: 'CREATE UNIQUE INDEX users_pkey ON users USING btree (id)',
        valid: true,
      },
    ],
    constraints: [{ name: 'users_pkey', definition: 'PRIMARY KEY (id)' }],
    triggers: [],
  };
}

function shape(): SchemaShape {
  return { tables: { users: users() }, objects: { 'view active_users': 'SELECT id FROM users' } };
}

const change = (fn: (s: SchemaShape) => void) => {
  const s = shape();
  fn(s);
  return s;
};

describe('compareShapes', () => {
  test('the same shape: no difference, the same hash', () => {
    assert.deepEqual(compareShapes(shape(), shape()), []);
    assert.equal(shapeHash(shape()), shapeHash(shape()));
  });

  test('an extra index (+), a missing column (-), a changed column (~)', () => {
    const found = change((s) => {
      const t = s.tables.users!;
      t.indexes.push({
        name: 'users_email_idx',
        definition: 'CREATE INDEX users_email_idx ON users USING btree (email)',
        valid: true,
      });
      t.columns = t.columns.filter((c) => c.name !== 'locale');
      t.columns[1] = { ...t.columns[1]!, type: 'character varying(255)' };
    });
    assert.deepEqual(compareShapes(shape(), found), [
      {
        kind: '~',
        object: 'column users.email',
        expected: 'character varying(100) not null',
        found: 'character varying(255) not null',
      },
      { kind: '-', object: 'column users.locale', expected: "text default 'en'::text", found: null },
      {
        kind: '+',
        object: 'index users_email_idx',
        expected: null,
        found: 'CREATE INDEX users_email_idx ON users USING btree (email)',
      },
    ]);
  });

  test('an unusable index is `!`, whether the majority has it valid or not at all', () => {
    const invalidExtra = change((s) => {
      s.tables.users!.indexes.push({
        name: 'users_email_key',
        definition: 'CREATE UNIQUE INDEX users_email_key ON users (email)',
        valid: false,
      });
    });
    assert.deepEqual(compareShapes(shape(), invalidExtra), [
      {
        kind: '!',
        object: 'index users_email_key',
        expected: null,
        found: 'INVALID CREATE UNIQUE INDEX users_email_key ON users (email)',
      },
    ]);
    const invalidated = change((s) => {
      s.tables.users!.indexes[0] = { ...s.tables.users!.indexes[0]!, valid: false };
    });
    const [d] = compareShapes(shape(), invalidated);
    assert.equal(d?.kind, '!');
    assert.equal(d?.expected, 'CREATE UNIQUE INDEX users_pkey ON users USING btree (id)');
    // The majority's own INVALID index, rebuilt valid in the outlier, is a plain `~`.
    assert.equal(compareShapes(invalidated, shape())[0]?.kind, '~');
  });

  test('tables, objects, constraints, triggers and properties', () => {
    const found = change((s) => {
      s.tables.orders = {
        ...users(),
        columns: [{ name: 'id', type: 'integer', nullable: false, default: null }],
      };
      s.objects = { 'view active_users': 'SELECT id, email FROM users', 'type mood': '["sad","ok"]' };
      s.tables.users!.constraints = [];
      s.tables.users!.triggers = [{ name: 'touch', definition: 'CREATE TRIGGER touch …' }];
      s.tables.users!.properties = { persistence: 'unlogged' };
    });
    const objects = compareShapes(shape(), found).map((d) => `${d.kind} ${d.object}`);
    assert.deepEqual(objects, [
      '+ table orders',
      '+ table users persistence',
      '- constraint users_pkey on users',
      '+ trigger touch on users',
      '+ type mood',
      '~ view active_users',
    ]);
    const missing = compareShapes(found, shape()).find((d) => d.object === 'table orders');
    assert.deepEqual(missing, { kind: '-', object: 'table orders', expected: 'columns id', found: null });
  });

  test('a column order difference is drift, said once', () => {
    const found = change((s) => {
      const [id, email, locale] = s.tables.users!.columns;
      s.tables.users!.columns = [id!, locale!, email!];
    });
    assert.notEqual(shapeHash(found), shapeHash(shape()));
    assert.deepEqual(compareShapes(shape(), found), [
      {
        kind: '~',
        object: 'table users',
        expected: 'columns id, email, locale',
        found: 'columns id, locale, email',
      },
    ]);
  });

  test('the whole statement (SQLite) is reported only when no part explains the difference', () => {
    const withDefinition = (sql: string, extra = false) =>
      change((s) => {
        s.tables.users!.definition = sql;
        if (extra) s.tables.users!.columns.push({ name: 'x', type: 'TEXT', nullable: true, default: null });
      });
    const base = withDefinition('CREATE TABLE users (id, email, locale)');
    assert.deepEqual(
      compareShapes(base, withDefinition('CREATE TABLE users (id, email, locale, x)', true)).map(
        (d) => d.object,
      ),
      ['column users.x'],
    );
    assert.deepEqual(
      compareShapes(base, withDefinition('CREATE TABLE users (id, email, locale, CHECK (id > 0))')),
      [
        {
          kind: '~',
          object: 'table users',
          expected: 'CREATE TABLE users (id, email, locale)',
          found: 'CREATE TABLE users (id, email, locale, CHECK (id > 0))',
        },
      ],
    );
  });

  test('catalog order of indexes, constraints and keys does not change the hash; column order does', () => {
    const reordered = change((s) => {
      s.tables.users!.indexes.unshift({ name: 'a_idx', definition: 'x', valid: true });
    });
    const other = change((s) => {
      s.tables.users!.indexes.push({ name: 'a_idx', definition: 'x', valid: true });
    });
    assert.equal(shapeHash(reordered), shapeHash(other));
    assert.deepEqual(
      Object.keys(canonicalShape({ tables: { b: users(), a: users() }, objects: {} }).tables),
      ['a', 'b'],
    );
  });

  test('one line per difference, definitions on one line', () => {
    assert.equal(
      describeDifference({
        kind: '+',
        object: 'index a_idx',
        expected: null,
        found: 'CREATE INDEX a_idx ON t (a)',
      }),
      '+ index a_idx: CREATE INDEX a_idx ON t (a)',
    );
    assert.equal(
      describeDifference({ kind: '-', object: 'column users.locale', expected: 'text', found: null }),
      '- column users.locale: text',
    );
    assert.equal(
      describeDifference({
        kind: '~',
        object: 'column users.email',
        expected: 'varchar(100)',
        found: 'varchar(255)',
      }),
      '~ column users.email: varchar(100) → varchar(255)',
    );
    assert.equal(
      describeDifference({
        kind: '!',
        object: 'index k',
        expected: null,
        found: 'INVALID CREATE UNIQUE INDEX k',
      }),
      '! INVALID index k: CREATE UNIQUE INDEX k',
    );
    assert.equal(
      describeDifference({ kind: '+', object: 'view v', expected: null, found: ' SELECT 1\n   FROM t;' }),
      '+ view v: SELECT 1 FROM t;',
    );
  });
});

describe('relativeKey', () => {
  test("a schema tenant's own schema leaves its keys; others stay qualified", () => {
    assert.equal(relativeKey('acme.users', 'acme'), 'users');
    assert.equal(relativeKey('view acme.v', 'acme'), 'view v');
    assert.equal(relativeKey('materialized view acme.m', 'acme'), 'materialized view m');
    assert.equal(relativeKey('other.users', 'acme'), 'other.users');
    assert.equal(relativeKey('type other.acme.x', 'acme'), 'type other.acme.x');
    assert.equal(relativeKey('public.users', null), 'public.users');
  });
});
