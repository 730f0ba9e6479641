// `plan --sql` and `lint` dropped every derived statement starting with BEGIN, COMMIT, ROLLBACK, SAVEPOINT
// or RELEASE — meant for knex's own transaction control, it hid the migration's own `knex.raw('begin')`
// too. A `transaction: false` migration that opens a block by hand and builds an index CONCURRENTLY in it
// fails on every tenant, yet lint saw no transaction and passed it.
//
// What tells the two apart is a knex internal, pinned here for each dialect: knex's Transaction sends its
// control statements to the client as bare SQL strings, the migration's `knex.raw` comes as a query object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DialectName } from '../../src/core/tenant.js';
import { lint } from '../../src/lint/index.js';
import type { Migration } from '../../src/migration/types.js';
import { capture, moduleMigration } from '../helpers/capture-migrations.js';

/** `index`, written between the migration's own BEGIN and COMMIT (`begin transaction`: all three dialects' SQL). */
const handOpened = (name: string, index: string) =>
  moduleMigration(
    name,
    async (knex) => {
      await knex.raw('begin transaction');
      await knex.raw(index);
      await knex.raw('commit transaction');
    },
    { transaction: false },
  );

/** A savepoint the migration writes itself, in each dialect's words. */
const OWN_SAVEPOINT: Record<DialectName, string[]> = {
  postgres: ['savepoint mine', 'rollback to savepoint mine'],
  sqlite: ['savepoint mine', 'rollback to savepoint mine'],
  mssql: ['save transaction mine', 'rollback transaction mine'],
};

describe("plan --sql: the migration's own transaction statements are shown, knex's are not", () => {
  for (const dialect of ['postgres', 'sqlite', 'mssql'] as const) {
    it(`${dialect}: a transaction: false migration's own begin / commit`, async () => {
      const index = 'create index concurrently users_email_idx on users (email)';
      assert.deepEqual(await capture(dialect, handOpened('001_own_begin.js', index)), [
        'begin transaction',
        index,
        'commit transaction',
      ]);
    });

    it(`${dialect}: a transactional migration's own savepoint, beside knex's BEGIN and nested trx.transaction()`, async () => {
      const [savepoint, rollbackTo] = OWN_SAVEPOINT[dialect];
      const migration = moduleMigration('002_own_savepoint.js', async (knex) => {
        await knex('t').insert({ name: 'outer' });
        await knex.transaction(async (nested) => {
          await nested('t').insert({ name: 'nested' });
        });
        await knex.raw(savepoint!);
        await knex.raw(rollbackTo!);
      });
      const statements = await capture(dialect, migration);
      assert.equal(statements.length, 4, statements.join('\n'));
      assert.match(statements[0]!, /insert into .t. \(.name.\) values \('outer'\)/);
      assert.match(statements[1]!, /insert into .t. \(.name.\) values \('nested'\)/);
      assert.deepEqual(statements.slice(2), [savepoint, rollbackTo]);
    });
  }
});

const base: Migration = {
  ...moduleMigration('001_base.sql', async () => {}),
  kind: 'sql',
  sql: { up: 'create table users (id int primary key, email text);' },
};

const findingsOf = async (migration: Migration) => {
  const report = await lint({ tenants: [], migrations: [base, migration], all: true, dialect: 'postgres' });
  return report.migrations.flatMap((m) => m.findings.map((f) => [f.rule, f.statement]));
};

describe('lint (PostgreSQL): statements in a transaction block the migration opens itself', () => {
  it('flags CREATE INDEX CONCURRENTLY and VACUUM between its own begin and commit', async () => {
    const index = 'create index concurrently users_email_idx on users (email)';
    assert.deepEqual(await findingsOf(handOpened('002_index.js', index)), [
      ['concurrently-in-transaction', index],
    ]);
    assert.deepEqual(await findingsOf(handOpened('002_vacuum.js', 'vacuum users')), [
      ['no-transaction-block', 'vacuum users'],
    ]);
  });

  it("flags CREATE INDEX CONCURRENTLY in the migration's own knex.transaction()", async () => {
    const migration = moduleMigration(
      '002_index.js',
      async (knex) => {
        await knex.transaction(async (trx) => {
          await trx.raw('create index concurrently users_email_idx on users (email)');
        });
      },
      { transaction: false },
    );
    assert.deepEqual(await findingsOf(migration), [
      ['concurrently-in-transaction', 'create index concurrently users_email_idx on users (email)'],
    ]);
  });

  it('safe twin: the same index and VACUUM, each its own knex.raw, outside any begin', async () => {
    const twin = moduleMigration(
      '002_index.js',
      async (knex) => {
        await knex.raw('create index concurrently users_email_idx on users (email)');
        await knex.raw('vacuum users');
      },
      { transaction: false },
    );
    assert.deepEqual(await findingsOf(twin), []);
  });
});
