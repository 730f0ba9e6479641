// The PostgreSQL backup hash of a table with constraints PostgreSQL derives itself (pure): version 2
// knows them by their top-level parent's name, so a restore's other numbering hashes equal; version 1
// (manifests without a version) is exactly the hash dbfleet always wrote. The drift shape alike.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashOf } from '../../src/dialect/fingerprint-hash.js';
import { constraintIdentities } from '../../src/dialect/postgres/constraint-identity.js';
import { postgresTableHash } from '../../src/dialect/postgres/fingerprint.js';
import type { TableRow } from '../../src/dialect/postgres/fingerprint-sql.js';
import { postgresShape } from '../../src/dialect/postgres/schema-shape.js';
import { compareShapes, describeDifference } from '../../src/drift/compare.js';

const FK = 'orders_customer_id_fkey';
const to = (table: string) => `FOREIGN KEY (customer_id) REFERENCES ${table}(id)`;

/** orders, its key into partitioned customers, and the copies PostgreSQL derived, as the catalog lists them. */
function orders(constraints: TableRow['constraints']): TableRow {
  return {
    oid: '1',
    schema: 'public',
    name: 'orders',
    kind: 'r',
    persistence: 'p',
    partkey: null,
    partbound: null,
    columns: [['id', 'integer', true, null, '', '', null]],
    indexes: [['orders_pkey', 'CREATE UNIQUE INDEX orders_pkey ON public.orders USING btree (id)', true]],
    constraints,
    triggers: [],
  };
}

/** customers_us existed before the key, customers_eu came after it. */
const source = orders([
  [FK, to('customers'), null],
  [`${FK}1`, to('customers_us'), FK],
  [`${FK}2`, to('customers_eu'), FK],
  ['orders_pkey', 'PRIMARY KEY (id)', null],
]);
/** The same after pg_dump/pg_restore, which creates the key after every partition. */
const restored = orders([
  [FK, to('customers'), null],
  [`${FK}1`, to('customers_eu'), FK],
  [`${FK}2`, to('customers_us'), FK],
  ['orders_pkey', 'PRIMARY KEY (id)', null],
]);

const legacyHash = (t: TableRow) =>
  hashOf([
    t.kind,
    t.persistence,
    t.partkey,
    t.partbound,
    t.columns,
    t.indexes.map(([, definition]) => definition),
    t.constraints.map(([name, definition]) => `${name} ${definition}`),
  ]);

describe('PostgreSQL derived constraints in the backup hash', () => {
  test('version 2: a restore numbering the derived copies otherwise hashes equal', () => {
    assert.equal(postgresTableHash(restored), postgresTableHash(source));
    assert.equal(postgresTableHash(restored, 2), postgresTableHash(source));
  });

  test('version 1 is the hash manifests without a version hold: own names, catalog order', () => {
    assert.equal(postgresTableHash(source, 1), legacyHash(source));
    assert.notEqual(postgresTableHash(restored, 1), postgresTableHash(source, 1));
    assert.notEqual(postgresTableHash(source, 1), postgresTableHash(source, 2));
  });

  test('a table without derived constraints hashes alike in both versions', () => {
    const plain = orders([
      [FK, to('customers'), null],
      ['orders_pkey', 'PRIMARY KEY (id)', null],
    ]);
    assert.equal(postgresTableHash(plain, 2), postgresTableHash(plain, 1));
    assert.equal(postgresTableHash(plain, 2), legacyHash(plain));
  });

  test('still seen: a lost copy, another referenced partition, a renamed key of its own', () => {
    const hash = postgresTableHash(source);
    assert.notEqual(postgresTableHash(orders(source.constraints.filter(([n]) => n !== `${FK}2`))), hash);
    const other = source.constraints.map(([n, d, p]): TableRow['constraints'][number] =>
      n === `${FK}2` ? [n, to('customers_asia'), p] : [n, d, p],
    );
    assert.notEqual(postgresTableHash(orders(other)), hash);
    const renamed = source.constraints.map(([n, d, p]): TableRow['constraints'][number] =>
      n === 'orders_pkey' ? ['orders_pk', d, p] : [n, d, p],
    );
    assert.notEqual(postgresTableHash(orders(renamed)), hash);
  });

  test('identities: by the parent name, then the definition, whatever the catalog order', () => {
    const expected = [
      [FK, to('customers')],
      [FK, to('customers_eu')],
      [FK, to('customers_us')],
      ['orders_pkey', 'PRIMARY KEY (id)'],
    ];
    assert.deepEqual(constraintIdentities(source), expected);
    assert.deepEqual(constraintIdentities(orders([...restored.constraints].reverse())), expected);
  });
});

describe('PostgreSQL derived constraints in the drift shape', () => {
  const shape = (t: TableRow) => postgresShape([t], [], null);
  const copies = [to('customers'), to('customers_eu'), to('customers_us')];

  test('one part per name, the definitions of the copies in order; a restore is no drift', () => {
    assert.deepEqual(shape(source).tables['public.orders']?.constraints, [
      { name: FK, definition: copies.join('; ') },
      { name: 'orders_pkey', definition: 'PRIMARY KEY (id)' },
    ]);
    assert.deepEqual(compareShapes(shape(source), shape(restored)), []);
  });

  test('a lost copy is drift on its key', () => {
    const lost = orders(source.constraints.filter(([n]) => n !== `${FK}2`));
    const left = [copies[0], copies[2]].join('; ');
    assert.deepEqual(compareShapes(shape(source), shape(lost)).map(describeDifference), [
      `~ constraint ${FK} on public.orders: ${copies.join('; ')} → ${left}`,
    ]);
  });
});
