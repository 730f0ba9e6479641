// `plan --sql` and `lint` derive a knex migration's SQL offline, with a knex whose client records every
// query. A migration that opens its own transaction (`knex.transaction(…)`, `trx.transaction(…)`,
// `knex.transaction()` + `transacting(trx)`) went through a transaction client knex builds from the
// client's class, not from the recording instance: the real driver ran on the fake connection, failed,
// and everything from the transaction on was missing from `plan --sql` and unseen by `lint` — a plain
// CREATE INDEX inside such a block passed the upgrade's pre-flight unlinted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Knex } from 'knex';
import type { DialectName } from '../../src/core/tenant.js';
import { getAdapter } from '../../src/dialect/registry.js';
import { lint } from '../../src/lint/index.js';
import { captureMigrationSql } from '../../src/migration/capture-sql.js';
import type { Migration } from '../../src/migration/types.js';
import { capture, moduleMigration, offlineTenant } from '../helpers/capture-migrations.js';

const DIALECTS: DialectName[] = ['postgres', 'sqlite', 'mssql'];

/** Every statement mentions its place, so the order the derivation saw them in can be checked. */
const inTransaction = moduleMigration('002_index_in_transaction.js', async (knex) => {
  await knex.schema.alterTable('t', (t) => t.string('before_block'));
  await knex.transaction(async (trx) => {
    await trx.schema.alterTable('t', (t) => t.index(['name']));
    await trx('t').insert({ name: 'inside' });
  });
  await knex.schema.alterTable('t', (t) => t.string('after_block'));
});

/**
 * `ownBlock`: the migration runs without dbfleet's transaction, so knex's BEGIN and COMMIT for its
 * `knex.transaction()` open a real block on the tenant and are shown (SQL Server's transactions are
 * driver calls, never SQL).
 */
function assertInOrder(statements: string[], patterns: RegExp[], ownBlock = false): void {
  const text = statements.join('\n');
  if (ownBlock) {
    assert.match(text, /^BEGIN;?$/m, text);
    assert.match(text, /^COMMIT;?$/m, text);
    statements = statements.filter((s) => !/^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/.test(s));
  }
  const shown = statements.join('\n');
  let from = 0;
  for (const pattern of patterns) {
    const at = statements.findIndex((s, i) => i >= from && pattern.test(s));
    assert.ok(at >= 0, `${pattern} not found in order in:\n${text}`);
    from = at + 1;
  }
  assert.doesNotMatch(text, /could not derive/, text);
  // knex's BEGIN / SAVEPOINT / COMMIT inside dbfleet's transaction are not what the migration runs.
  assert.doesNotMatch(shown, /^\s*(begin|commit|rollback|savepoint|release)\b/im, text);
}

describe("plan --sql: the SQL of a migration's own transaction", () => {
  for (const dialect of DIALECTS) {
    for (const transaction of [true, false]) {
      it(`${dialect}, transaction: ${transaction}: knex.transaction(callback) — inside and after the block`, async () => {
        const migration = { ...inTransaction, config: { transaction } };
        assertInOrder(
          await capture(dialect, migration),
          [
            /before_block/,
            /create index .t_name_index. on .t. \(.name.\)/i,
            /insert into .t. \(.name.\) values \('inside'\)/i,
            /after_block/,
          ],
          !transaction && dialect !== 'mssql',
        );
      });
    }

    for (const transaction of [true, false])
      it(`${dialect}, transaction: ${transaction}: nested transactions (savepoints), a transaction without a callback, transacting(trx)`, async () => {
        const migration = moduleMigration(
          '003_nested.js',
          async (knex) => {
            await knex.transaction(async (trx) => {
              await trx('t').insert({ name: 'outer' });
              await trx.transaction(async (nested) => {
                await nested('t').insert({ name: 'savepoint' });
                await nested.savepoint(async (deeper) => {
                  await deeper('t').insert({ name: 'deeper' });
                });
              });
              // A savepoint that rolls back: the migration catches it and goes on, as it would on a database.
              await trx
                .transaction(async (nested) => {
                  await nested('t').insert({ name: 'rolled back' });
                  throw new Error('undo the savepoint');
                })
                .catch(() => {});
              await trx('t').insert({ name: 'after savepoint' });
            });
            const trx = await knex.transaction();
            await knex('t').insert({ name: 'transacting' }).transacting(trx);
            await knex.schema.alterTable('t', (t) => t.string('by_schema')).transacting(trx);
            await trx.commit();
            await knex('t').insert({ name: 'last' });
          },
          { transaction },
        );
        assertInOrder(
          await capture(dialect, migration),
          [
            /'outer'/,
            /'savepoint'/,
            /'deeper'/,
            /'rolled back'/,
            /'after savepoint'/,
            /'transacting'/,
            /by_schema/,
            /'last'/,
          ],
          !transaction && dialect !== 'mssql',
        );
      });

    it(`${dialect}: the migration sees a transaction exactly when it runs in one`, async () => {
      const seen: boolean[] = [];
      const look = async (knex: Knex | Knex.Transaction) => {
        seen.push(Boolean(knex.isTransaction));
      };
      await capture(dialect, moduleMigration('004_look.js', look));
      await capture(dialect, moduleMigration('005_look.js', look, { transaction: false }));
      assert.deepEqual(seen, [true, false]);
    });
  }

  it("the client name a migration branches on holds inside its transaction (knex's client settings)", async () => {
    const names: unknown[] = [];
    const migration = moduleMigration('006_name.js', async (knex) => {
      names.push(knex.client.config.client);
      await knex.transaction(async (trx) => {
        names.push(trx.client.config.client, trx.client.dialect);
      });
    });
    await captureMigrationSql(getAdapter('postgres'), offlineTenant('postgres'), migration, {
      client: 'postgresql',
    });
    assert.deepEqual(names, ['postgresql', 'postgresql', 'postgresql']);
  });
});

const base: Migration = {
  ...moduleMigration('001_base.sql', async () => {}),
  kind: 'sql',
  sql: { up: 'create table t (id int primary key, name varchar(50));' },
};

describe("lint: a migration's own transaction", () => {
  for (const [dialect, rule] of [
    ['postgres', 'index-not-concurrent'],
    ['mssql', 'mssql-index-offline'],
  ] as const) {
    it(`${dialect}: a plain CREATE INDEX inside knex.transaction is flagged`, async () => {
      const report = await lint({ tenants: [], migrations: [base, inTransaction], all: true, dialect });
      const findings = report.migrations.flatMap((m) => m.findings);
      assert.deepEqual(
        findings.map((f) => [f.migration, f.rule]),
        [[inTransaction.name, rule]],
        JSON.stringify(report, null, 2),
      );
      assert.match(findings[0]!.statement, /create index .t_name_index. on .t. \(.name.\)/i);
      assert.equal(report.ok, false);
    });
  }
});
