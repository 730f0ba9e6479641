// `plan --sql` answers every read of a migration as an empty database would, so the SQL after a
// hasTable / hasColumn guard or a select is the branch a tenant without the table, column or rows takes.
// The derived SQL marks each such read, so its reader sees which branch was assumed; lint parses the
// statements without the marks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveStatements } from '../../src/lint/derive.js';
import { lint } from '../../src/lint/index.js';
import { ANSWERED_EMPTY, derivedSqlText, NOT_DERIVED } from '../../src/migration/derivation-notes.js';
import type { Migration } from '../../src/migration/types.js';
import { capture, moduleMigration } from '../helpers/capture-migrations.js';

// Kutt's remove_cooldown, cut down: on a tenant that has the column it is dropped.
const guarded = moduleMigration('001_guarded.js', async (knex) => {
  if (await knex.schema.hasColumn('users', 'legacy'))
    await knex.schema.alterTable('users', (t) => t.dropColumn('legacy'));
  if (!(await knex.schema.hasTable('audit')))
    await knex.schema.createTable('audit', (t) => {
      t.integer('id');
    });
  const [row] = await knex('audit').insert({ id: 1 }).returning('id');
  if (!row) await knex.schema.dropTable('old');
});

describe('plan --sql marks each read it answered as an empty database', () => {
  for (const dialect of ['postgres', 'sqlite', 'mssql'] as const) {
    it(`${dialect}: right after the read, and after nothing else`, async () => {
      const sql = await capture(dialect, guarded);
      const kinds = sql.map((s) => (s === ANSWERED_EMPTY ? 'empty' : /^\s*(\w+)/.exec(s)![1]!.toLowerCase()));
      // hasColumn, hasTable (each one read on PostgreSQL and SQL Server, knex's PRAGMA or sqlite_master on
      // SQLite), the CREATE TABLE an empty database gets, the insert's RETURNING with no rows, the drop.
      assert.deepEqual(
        kinds,
        ['select|pragma', 'empty', 'select', 'empty', 'create', 'insert', 'empty', 'drop'].map((k) =>
          k === 'select|pragma' ? (dialect === 'sqlite' ? 'pragma' : 'select') : k,
        ),
        sql.join('\n'),
      );
    });
  }

  it("a write, DDL and knex's own transaction control are not marked", async () => {
    const writes = moduleMigration(
      '002_writes.js',
      async (knex) => {
        await knex.transaction(async (trx) => {
          await trx.schema.createTable('t', (t) => t.integer('a'));
          await trx('t').insert({ a: 1 });
          await trx('t').update({ a: 2 });
          await trx.raw('pragma foreign_keys = on');
        });
      },
      { transaction: false },
    );
    const sql = await capture('sqlite', writes);
    assert.ok(sql.length >= 4, sql.join('\n'));
    assert.ok(!sql.includes(ANSWERED_EMPTY), sql.join('\n'));
  });

  it('plan prints the mark as a comment line of its own, not as a statement', () => {
    assert.equal(
      derivedSqlText(['select 1', ANSWERED_EMPTY, 'create table t (a int);', `${NOT_DERIVED} why`]),
      `select 1;\n${ANSWERED_EMPTY}\ncreate table t (a int);\n${NOT_DERIVED} why`,
    );
  });
});

describe('lint is not affected by the marks', () => {
  for (const dialect of ['postgres', 'mssql'] as const) {
    it(`${dialect}: lint gets the derived statements without them`, async () => {
      const { statements, notes } = await deriveStatements(dialect, guarded);
      assert.equal(statements.length, 5, statements.join('\n'));
      assert.ok(!statements.includes(ANSWERED_EMPTY));
      assert.deepEqual(notes, []);
    });
  }

  it('the guarded branch is linted as before, and no mark is a statement or a finding', async () => {
    const addNotNull: Migration = moduleMigration('002_add.js', async (knex) => {
      if (!(await knex.schema.hasColumn('t', 'c')))
        await knex.schema.alterTable('t', (t) => t.string('c').notNullable());
    });
    const base: Migration = {
      ...moduleMigration('001_base.sql', async () => {}),
      kind: 'sql',
      sql: { up: 'create table t (id int primary key);' },
    };
    const report = await lint({ tenants: [], migrations: [base, addNotNull], all: true });
    const findings = report.migrations.flatMap((m) => m.findings);
    assert.deepEqual(
      findings.map((f) => [f.rule, f.statement]),
      [['add-column-not-null', 'alter table "t" add column "c" varchar(255) not null']],
      JSON.stringify(report, null, 2),
    );
    assert.deepEqual(
      report.migrations.flatMap((m) => m.notes),
      [],
    );
  });
});
