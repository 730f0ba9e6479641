// SQL Server: a migration that ends the transaction dbfleet (like knex) runs it in. A BEGIN TRAN … COMMIT
// pair of its own only nests; an unpaired COMMIT commits that transaction and a ROLLBACK undoes it
// (@@TRANCOUNT 0). dbfleet then wrote the history row outside any transaction (autocommitted) and knex's
// COMMIT failed (3902): reported "rolled back: nothing of it was applied" while the tenant held the
// migration. Now the server is asked (SELECT @@TRANCOUNT), nothing is recorded, and the migration fails
// TRANSACTION_ENDED saying what is true. The fake tedious keeps @@TRANCOUNT from the batches it is sent.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { TenantError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';
import { openMssqlSession } from '../../src/dialect/mssql/session.js';
import type { TenantSession } from '../../src/dialect/types.js';
import { runMigration } from '../../src/migration/migrator.js';
import type { Migration } from '../../src/migration/types.js';
import { FakeTedious, route, serverError } from '../helpers/mssql-fake-tedious.js';

const parsed = mssqlAdapter.parseConnection('mssql://app:pw@db1/acme');
const tenant: Tenant = {
  id: 'acme',
  dialect: 'mssql',
  connection: parsed.connection,
  host: parsed.host,
  database: 'acme',
  tags: [],
};
const timeouts = { lockTimeoutMs: 5000, statementTimeoutMs: 0 };
const sessions: TenantSession[] = [];
after(async () => {
  for (const s of sessions) await s.close().catch(() => {});
});

/** A statement the fake server fails, without rolling anything back (a RAISERROR under XACT_ABORT). */
const BAD = /^\s*bad\b/m;

async function open(opts: { xactAbort?: boolean; staleInTransaction?: boolean } = {}) {
  const fake = new FakeTedious(
    route(
      [BAD, { error: serverError('Invalid column name x.', 207), abortsTransaction: opts.xactAbort }],
      // knex reads an insert's or delete's row count off `select @@rowcount`.
      [/@@rowcount/, { rows: [{ '': 1 }] }],
    ),
  );
  fake.staleInTransaction = opts.staleInTransaction ?? false;
  const session = await openMssqlSession(tenant, { timeouts }, fake.driver);
  sessions.push(session);
  return { session, fake };
}

function sqlMigration(up: string, transaction = true): Migration {
  return {
    name: '001_x.sql',
    checksum: 'c',
    file: '001_x.sql',
    kind: 'sql',
    config: { transaction },
    sql: { up },
    up: (knex, ctx) => ctx.runScript(up, knex),
  };
}

function moduleMigration(up: (knex: Knex | Knex.Transaction) => Promise<void>): Migration {
  return {
    name: '001_x.js',
    checksum: 'c',
    file: '001_x.js',
    kind: 'module',
    config: { transaction: true },
    up,
  };
}

async function run(session: TenantSession, migration: Migration): Promise<unknown> {
  const opts = {
    session,
    adapter: mssqlAdapter,
    migrations: [migration],
    timeouts,
    lockWaitMs: 0,
    emit() {},
  };
  return runMigration(opts, migration, 'up', 1).then(
    () => undefined,
    (err: unknown) => err,
  );
}

const recorded = (fake: FakeTedious) =>
  fake.sent().some((sql) => /insert into \[knex_migrations\]/i.test(sql));
const trancountAsks = (fake: FakeTedious) => fake.sent().filter((sql) => /@@TRANCOUNT AS n/.test(sql)).length;

function assertEnded(err: unknown, message: RegExp) {
  assert.ok(err instanceof TenantError, String(err));
  assert.equal(err.code, 'TRANSACTION_ENDED', err.message);
  assert.match(err.message, message);
  assert.match(err.message, /not recorded as applied/);
}

describe('SQL Server: a transactional migration that ends its transaction itself', () => {
  test('an unpaired COMMIT: not recorded, knex commits nothing, TRANSACTION_ENDED says all of it is committed', async () => {
    const { session, fake } = await open();
    const err = await run(
      session,
      sqlMigration('CREATE TABLE t (id int);\nCOMMIT;\nGO\nCREATE TABLE u (id int);'),
    );
    assertEnded(err, /a COMMIT statement of its own .*: all it ran is committed/);
    assert.equal(recorded(fake), false, 'no history row written outside a transaction');
    assert.deepEqual(fake.sent('commit'), [], 'knex sent no COMMIT (3902)');
    assert.equal(fake.connections[0]!.trancount, 0);
  });

  test("knex's rollback failing on the ended transaction (3903) does not replace TRANSACTION_ENDED", async () => {
    const { session, fake } = await open({ staleInTransaction: true });
    const err = await run(session, sqlMigration('CREATE TABLE t (id int);\nCOMMIT TRAN;'));
    assertEnded(err, /all it ran is committed/);
    assert.deepEqual(fake.sent('rollback'), ['ROLLBACK'], 'knex did try to roll back');
  });

  test('a ROLLBACK of its own: what it ran before is undone', async () => {
    const { session, fake } = await open();
    const err = await run(session, sqlMigration('CREATE TABLE t (id int);\nROLLBACK TRANSACTION;'));
    assertEnded(err, /a ROLLBACK statement of its own .*before that ROLLBACK is undone/);
    assert.equal(recorded(fake), false);
  });

  test('COMMIT and ROLLBACK both in it: says it cannot tell which', async () => {
    const { session } = await open();
    const err = await run(
      session,
      sqlMigration('CREATE TABLE t (id int);\nCOMMIT;\nIF @@TRANCOUNT > 0 ROLLBACK;'),
    );
    assertEnded(err, /may be committed or rolled back/);
  });

  test('failing after its own COMMIT: TRANSACTION_ENDED, not "rolled back"', async () => {
    const { session, fake } = await open();
    const err = await run(session, sqlMigration('CREATE TABLE t (id int);\nCOMMIT;\nGO\nbad'));
    assertEnded(
      err,
      /^may have ended its own transaction .*then failed: .*Invalid column name x\..*stays committed/,
    );
    assert.equal(recorded(fake), false);
  });

  test("a module's trx.raw('COMMIT') (266 through sp_executesql): TRANSACTION_ENDED", async () => {
    const { session } = await open();
    const err = await run(
      session,
      moduleMigration(async (trx) => {
        await trx.raw('COMMIT');
      }),
    );
    assertEnded(err, /then failed: .*mismatching number of BEGIN and COMMIT/);
  });
});

describe('SQL Server: a transactional migration that leaves a BEGIN TRAN of its own open', () => {
  // knex's COMMIT only un-nested it (@@TRANCOUNT 2 → 1): reported applied, while the migration and its
  // history row sat in dbfleet's still-open transaction, lost when the session closed.
  test('rolled back, not recorded, TRANSACTION_LEFT_OPEN; nothing left open', async () => {
    const { session, fake } = await open();
    const err = await run(session, sqlMigration('BEGIN TRAN;\nCREATE TABLE t (id int);'));
    assert.ok(err instanceof TenantError, String(err));
    assert.equal(err.code, 'TRANSACTION_LEFT_OPEN', err.message);
    assert.deepEqual(fake.sent('commit'), []);
    assert.deepEqual(fake.sent('rollback'), ['ROLLBACK']);
    assert.equal(fake.connections[0]!.trancount, 0);
  });
});

describe('SQL Server: what does not end it', () => {
  test('a BEGIN TRAN … COMMIT pair of its own (SSMS change script) nests: recorded, committed, one extra round trip', async () => {
    const { session, fake } = await open();
    const err = await run(
      session,
      sqlMigration(
        'BEGIN TRANSACTION\nGO\nCREATE TABLE t (id int)\nGO\nCOMMIT\nGO\nBEGIN TRAN;\nSELECT 1;\nCOMMIT;',
      ),
    );
    assert.equal(err, undefined);
    assert.equal(recorded(fake), true);
    assert.deepEqual(fake.sent('commit'), ['COMMIT']);
    assert.equal(trancountAsks(fake), 1);
  });

  test('ROLLBACK TRAN to a savepoint of its own keeps the transaction', async () => {
    const { session, fake } = await open();
    const err = await run(
      session,
      sqlMigration('SAVE TRAN sp;\nCREATE TABLE t (id int);\nROLLBACK TRAN sp;'),
    );
    assert.equal(err, undefined);
    assert.equal(recorded(fake), true);
  });

  test('an ordinary failure the server rolled back (XACT_ABORT) stays an ordinary failure', async () => {
    const { session, fake } = await open({ xactAbort: true });
    const err = await run(session, sqlMigration('CREATE TABLE t (id int)\nGO\nbad'));
    assert.ok(err instanceof Error);
    assert.notEqual((err as { code?: unknown }).code, 'TRANSACTION_ENDED');
    assert.match(err.message, /Invalid column name x\./);
    assert.equal(recorded(fake), false);
  });
});

describe('SQL Server: a migration without a transaction', () => {
  test('a BEGIN TRAN never committed: rolled back, not recorded, TRANSACTION_LEFT_OPEN', async () => {
    const { session, fake } = await open();
    const err = await run(session, sqlMigration('BEGIN TRAN;\nCREATE TABLE t (id int);', false));
    assert.ok(err instanceof TenantError, String(err));
    assert.equal(err.code, 'TRANSACTION_LEFT_OPEN');
    assert.equal(recorded(fake), false);
    assert.equal(fake.connections[0]!.trancount, 0);
  });

  test('failing inside its own BEGIN TRAN (not rolled back by the error): rolled back now, and said', async () => {
    const { session, fake } = await open();
    const err = await run(session, sqlMigration('CREATE TABLE t (id int);\nBEGIN TRAN;\nGO\nbad', false));
    assert.ok(err instanceof Error);
    assert.match(err.message, /what ran in its own transaction \(since its BEGIN\) was rolled back/);
    assert.equal(fake.connections[0]!.trancount, 0, 'no transaction left open for the steps after it');
  });

  test('a BEGIN TRAN it commits: recorded', async () => {
    const { session, fake } = await open();
    const err = await run(session, sqlMigration('BEGIN TRAN;\nCREATE TABLE t (id int);\nCOMMIT;', false));
    assert.equal(err, undefined);
    assert.equal(recorded(fake), true);
    assert.equal(trancountAsks(fake), 1);
  });
});
