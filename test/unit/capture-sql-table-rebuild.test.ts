// On SQLite, knex alters what SQLite cannot ALTER by rebuilding the table from its definition in
// sqlite_master. `plan --sql` and `lint` derive SQL without a database: that read answers no rows and the
// derivation stops. It must say why — not knex's internal "Cannot read properties of undefined (reading 'sql')".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import { capture, moduleMigration } from '../helpers/capture-migrations.js';

const NOT_DERIVED = '-- could not derive the rest:';
const REASON =
  'knex rebuilds the table `p` on SQLite from its current definition (read from sqlite_master), which plan --sql cannot read: it answers as an empty database';

const rebuilds: Record<string, (t: Knex.AlterTableBuilder) => void> = {
  dropColumn: (t) => t.dropColumn('x'),
  dropForeign: (t) => t.dropForeign(['x']),
  alter: (t) => t.integer('x').alter(),
  dropPrimary: (t) => t.dropPrimary(),
  setNullable: (t) => t.setNullable('x'),
};

describe('SQLite: a knex table rebuild in plan --sql', () => {
  for (const [name, change] of Object.entries(rebuilds)) {
    it(`${name}: the derivation stops with the reason`, async () => {
      const sql = await capture(
        'sqlite',
        moduleMigration(`001_${name}.js`, async (knex) => {
          await knex.raw('select 1');
          await knex.schema.alterTable('p', change);
        }),
      );
      const last = sql.at(-1)!;
      assert.equal(last, `${NOT_DERIVED} ${REASON}`, sql.join('\n'));
      assert.equal(sql[0], 'select 1', 'what came before stays');
    });
  }

  it('a migration that catches the failure is derived on from there', async () => {
    const sql = await capture(
      'sqlite',
      moduleMigration('002_caught.js', async (knex) => {
        const error = await knex.schema
          .alterTable('p', (t) => t.dropColumn('x'))
          .then(
            () => undefined,
            (err: Error) => err,
          );
        assert.match(String(error?.message), /knex rebuilds the table `p`/);
        await knex.raw('drop table q');
      }),
    );
    assert.equal(sql.at(-1), 'drop table q');
    assert.ok(!sql.some((s) => s.startsWith(NOT_DERIVED)), sql.join('\n'));
  });

  it('PostgreSQL alters in place: nothing changes there', async () => {
    const sql = await capture(
      'postgres',
      moduleMigration('003_pg.js', (knex) => knex.schema.alterTable('p', (t) => t.dropColumn('x'))),
    );
    assert.deepEqual(sql, ['alter table "p" drop column "x"']);
  });
});
