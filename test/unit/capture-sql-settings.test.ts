// `plan --sql` and `lint` derive a knex migration's SQL offline. It must be the SQL the tenant's knex
// compiles: the knexfile's settings that change compilation (defaultDateTimePrecision, wrapIdentifier,
// useNullAsDefault) apply, as they do when the migration runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KnexSettings } from '../../src/dialect/types.js';
import { deriveStatements } from '../../src/lint/derive.js';
import type { Migration } from '../../src/migration/types.js';

const migration: Migration = {
  name: '20250101000000_create_audit.js',
  checksum: 'x',
  file: '/nowhere/20250101000000_create_audit.js',
  kind: 'module',
  config: { transaction: true },
  async up(knex) {
    await knex.schema.createTable('auditLog', (t) => {
      t.timestamp('seenAt');
    });
    await knex('auditLog').insert([{ seenAt: null }, {}]);
  },
};

const snake = (value: string, origImpl: (v: string) => string) =>
  origImpl(value.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));

test('the knexfile settings that change compiled SQL apply to the derived SQL', async () => {
  const settings = { defaultDateTimePrecision: 3, wrapIdentifier: snake } as KnexSettings;
  const { statements } = await deriveStatements('postgres', migration, undefined, settings);
  assert.match(statements[0]!, /create table "audit_log" \("seen_at" timestamptz\(3\)\)/);
});

test("without them, the derived SQL is knex's default compilation", async () => {
  const { statements } = await deriveStatements('postgres', migration);
  assert.match(statements[0]!, /create table "auditLog" \("seenAt" timestamptz\)/);
});

test('SQLite: a multi-row insert leaving a column out is refused in the derived SQL without useNullAsDefault, as it runs', async () => {
  const refused = /does not support inserting default values/;
  const without = await deriveStatements('sqlite', migration);
  assert.match(without.notes.join('\n'), refused);
  const withIt = await deriveStatements('sqlite', migration, undefined, { useNullAsDefault: true });
  assert.doesNotMatch(withIt.notes.join('\n'), refused);
});

// Every query of the derivation answered `[]` — truthy — so `hasTable` and `first()` looked like a table
// with rows: the derived SQL (and so lint) was the branch of a database that already had both, and the
// CREATE TABLE and INSERT of an idempotent migration were never seen.
const idempotent: Migration = {
  ...migration,
  name: '20250102000000_widgets.js',
  async up(knex) {
    if (!(await knex.schema.hasTable('widgets')))
      await knex.schema.createTable('widgets', (t) => {
        t.increments('id');
      });
    if (!(await knex('widgets').first())) await knex('widgets').insert({ id: 1 });
    const rows = await knex('widgets').select('id');
    if (rows.length === 0) await knex('widgets').insert({ id: 2 });
  },
};

for (const dialect of ['postgres', 'sqlite'] as const) {
  test(`${dialect}: a migration that reads first derives the branch an empty database takes`, async () => {
    const { statements, notes } = await deriveStatements(dialect, idempotent);
    const text = statements.join('\n');
    assert.match(text, /create table .widgets./i, text);
    assert.match(text, /insert into .widgets. \(.id.\) values \(1\)/i, text);
    assert.match(text, /insert into .widgets. \(.id.\) values \(2\)/i, text);
    assert.deepEqual(notes, []);
  });
}
