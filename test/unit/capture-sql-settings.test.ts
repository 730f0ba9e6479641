// `plan --sql` and `lint` derive a knex migration's SQL offline. It must be the SQL the tenant's knex
// compiles: the knexfile's settings that change compilation (defaultDateTimePrecision, wrapIdentifier,
// useNullAsDefault) apply, as they do when the migration runs — and so do the others migrate's knex gets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getAdapter } from '../../src/dialect/registry.js';
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
  assert.deepEqual(withIt.notes, []);
});

// knex leaves a missing key `undefined` in SQLite's multi-row insert and the driver binds it as NULL, so
// `migrate` runs it; the derivation stopped on it ("Undefined binding(s) detected") when inlining bindings.
test('SQLite with useNullAsDefault: a multi-row insert where a row lacks a key is derived, as migrate runs it', async () => {
  const insert: Migration = {
    ...migration,
    name: '20250103000000_rows.js',
    async up(knex) {
      await knex.schema.createTable('t', (t) => {
        t.integer('a');
        t.integer('b');
      });
      await knex('t').insert([{ a: 1 }, { a: 2, b: 3 }]);
    },
  };
  const { statements, notes } = await deriveStatements('sqlite', insert, undefined, {
    useNullAsDefault: true,
  });
  assert.deepEqual(notes, []);
  assert.equal(
    statements[1],
    'insert into `t` (`a`, `b`) select 1 as `a`, NULL as `b` union all select 2 as `a`, 3 as `b`',
  );
});

// What `migrate` hands a migration's knex (the dialect's knexConfig of the knexfile's settings) is what the
// derivation's knex gets: a migration reading `knex.client.config.migrations` or `.searchPath`, or whose
// reads go through `postProcessResponse`, takes the same path in both.
for (const dialect of ['postgres', 'sqlite', 'mssql'] as const) {
  test(`${dialect}: the derivation's knex has every knexfile setting migrate's knex has`, async () => {
    const settings = {
      migrations: { tableName: 'history' },
      searchPath: ['app', 'public'],
      useNullAsDefault: true,
      wrapIdentifier: snake,
      postProcessResponse: (result: unknown) =>
        Array.isArray(result) ? Object.assign(result, { processed: true }) : result,
      asyncStackTraces: true,
      compileSqlOnError: false,
      jsonbSupport: true,
      defaultDateTimePrecision: 3,
      version: '15.0',
    } as KnexSettings;
    const tenant = { id: 'x', dialect, connection: {}, host: 'h', database: 'd', tags: [] };
    const migrateConfig = getAdapter(dialect).knexConfig(tenant, {
      timeouts: { lockTimeoutMs: 0, statementTimeoutMs: 0 },
      knex: settings,
    }) as Record<string, unknown>;
    const seen: Record<string, unknown> = {};
    const reads: Migration = {
      ...migration,
      name: '20250104000000_reads.js',
      async up(knex) {
        Object.assign(seen, knex.client.config);
        const rows = (await knex('w').select('id')) as unknown as { processed?: boolean };
        if (rows.processed) await knex.raw('select 1 as processed_read');
      },
    };
    const { statements, notes } = await deriveStatements(dialect, reads, tenant, settings);
    assert.deepEqual(notes, []);
    assert.match(statements.join('\n'), /processed_read/);
    for (const [key, value] of Object.entries(migrateConfig)) {
      if (key === 'connection' || key === 'pool' || key === 'client' || key === 'log') continue;
      assert.deepEqual(seen[key], value, key);
    }
  });
}

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
