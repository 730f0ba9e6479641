// mssql-index-offline also covers the indexes a PRIMARY KEY or UNIQUE constraint builds, as knex's mssql
// client generates them for an existing table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import knexFactory from 'knex';
import { createMssqlLinter } from '../../src/dialect/mssql/lint.js';

const knex = knexFactory({ client: 'mssql' });
const sqlOf = (builder: { toSQL(): { sql: string }[] }) => builder.toSQL().map((s) => s.sql);

function rulesOf(statements: string[]) {
  const linter = createMssqlLinter((createdIn, current) => createdIn === current);
  linter.lintMigration({
    name: 'base',
    transactional: true,
    statements: ['CREATE TABLE [orders] ([id] int)'],
  });
  return linter.lintMigration({ name: 'm', transactional: true, statements }).map((h) => [h.rule, h.detail]);
}

test("knex's t.primary() and t.unique(…, { useConstraint: true }) on an existing table build an index offline", () => {
  const primary = sqlOf(knex.schema.alterTable('orders', (t) => t.primary(['id'])));
  const unique = sqlOf(knex.schema.alterTable('orders', (t) => t.unique(['code'], { useConstraint: true })));
  assert.deepEqual(primary, ['ALTER TABLE [orders] ADD CONSTRAINT [orders_pkey] PRIMARY KEY ([id])']);
  assert.deepEqual(unique, ['ALTER TABLE [orders] ADD CONSTRAINT [orders_code_unique] UNIQUE ([code])']);
  for (const statements of [primary, unique])
    assert.deepEqual(rulesOf(statements), [['mssql-index-offline', 'table orders']], statements[0]);
  assert.deepEqual(rulesOf(['ALTER TABLE dbo.orders ADD code int NULL UNIQUE']), [
    ['mssql-index-offline', 'table orders'],
  ]);
});

test('safe twins: WITH (ONLINE = ON), a table created in the same migration, other constraints', () => {
  assert.deepEqual(
    rulesOf([
      'ALTER TABLE [orders] ADD CONSTRAINT [orders_pkey] PRIMARY KEY CLUSTERED ([id]) WITH (ONLINE = ON)',
    ]),
    [],
  );
  assert.deepEqual(
    rulesOf([
      ...sqlOf(knex.schema.createTable('fresh', (t) => t.integer('id'))),
      ...sqlOf(knex.schema.alterTable('fresh', (t) => t.primary(['id']))),
    ]),
    [],
  );
  assert.deepEqual(rulesOf(['ALTER TABLE [orders] ADD CONSTRAINT [orders_id_check] CHECK ([id] > 0)']), []);
  assert.deepEqual(rulesOf(["ALTER TABLE [orders] ADD [note] nvarchar(100) NULL DEFAULT 'UNIQUE'"]), []);
});
