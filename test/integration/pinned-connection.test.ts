// A migration's transaction without knex.transaction(): BEGIN/COMMIT on the pinned connection. It must
// behave like knex's where migrations can tell: all or nothing, nested transactions as savepoints, a
// transaction-scoped SET LOCAL, and explicit commit()/rollback() refused rather than silently misapplied.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { createPinnedKnex } from '../../src/dialect/pinned-knex.js';
import { runPinnedTransaction } from '../../src/dialect/pinned-transaction.js';
import { openPostgresSession } from '../../src/dialect/postgres/session.js';
import { validateInventory } from '../../src/index.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('pintx');
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-pintx-'));

const engines: Array<{ name: string; open: () => Knex }> = [
  { name: 'PostgreSQL', open: () => createPinnedKnex({ client: 'pg', connection: pgUrl(prefix) }) },
  {
    name: 'SQLite',
    open: () =>
      createPinnedKnex({
        client: 'better-sqlite3',
        connection: { filename: join(dir, 'pintx.db') },
        useNullAsDefault: true,
      }),
  },
];

before(() => createDatabases([prefix]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

for (const engine of engines) {
  describe(`runPinnedTransaction on ${engine.name}`, () => {
    let knex: Knex;
    const names = async () => (await knex('items').orderBy('name').pluck('name')) as string[];
    before(async () => {
      knex = engine.open();
      await knex.schema.createTable('items', (t) => t.string('name').primary());
    });
    after(() => knex.destroy());

    test('commits what the function did and returns its value', async () => {
      const value = await runPinnedTransaction(knex, async (trx) => {
        assert.equal(trx.isTransaction, true);
        await trx('items').insert({ name: 'a' });
        await trx.schema.createTable('made_inside', (t) => t.integer('id'));
        return 42;
      });
      assert.equal(value, 42);
      assert.deepEqual(await names(), ['a']);
      assert.equal(await knex.schema.hasTable('made_inside'), true);
    });

    test('a throw rolls everything back, DDL included, and the error comes through unchanged', async () => {
      const boom = new Error('boom');
      await assert.rejects(
        runPinnedTransaction(knex, async (trx) => {
          await trx('items').insert({ name: 'b' });
          await trx.schema.createTable('never_made', (t) => t.integer('id'));
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.deepEqual(await names(), ['a']);
      assert.equal(await knex.schema.hasTable('never_made'), false);
    });

    test('a failed statement rolls back; the connection is usable afterwards', async () => {
      await assert.rejects(
        runPinnedTransaction(knex, async (trx) => {
          await trx('items').insert({ name: 'c' });
          await trx('items').insert({ name: 'a' }); // duplicate key
        }),
      );
      assert.deepEqual(await names(), ['a']);
      await knex('items').insert({ name: 'after' });
      assert.deepEqual(await names(), ['a', 'after']);
    });

    test('a nested transaction is a savepoint: its failure undoes only its own work', async () => {
      await runPinnedTransaction(knex, async (trx) => {
        await trx('items').insert({ name: 'outer' });
        await assert.rejects(
          trx.transaction(async (inner) => {
            await inner('items').insert({ name: 'inner-lost' });
            throw new Error('inner fails');
          }),
          /inner fails/,
        );
        await trx.transaction(async (inner) => inner('items').insert({ name: 'inner-kept' }));
      });
      assert.deepEqual(await names(), ['a', 'after', 'inner-kept', 'outer']);
    });

    // On SQLite knex drops a column by rebuilding the table in a transaction of its own: inside ours it
    // must nest (it asks `client.transacting`), or it fails with "cannot start a transaction within a
    // transaction" and the rollback below would find the column gone.
    test('a column drop (a table rebuild on SQLite) commits with the transaction and rolls back with it', async () => {
      await knex.schema.createTable('wide', (t) => {
        t.integer('id');
        t.string('dropped');
      });
      await assert.rejects(
        runPinnedTransaction(knex, async (trx) => {
          await trx.schema.alterTable('wide', (t) => t.dropColumn('dropped'));
          throw new Error('undo');
        }),
        /undo/,
      );
      assert.equal(await knex.schema.hasColumn('wide', 'dropped'), true);
      await runPinnedTransaction(knex, (trx) =>
        trx.schema.alterTable('wide', (t) => t.dropColumn('dropped')),
      );
      assert.equal(await knex.schema.hasColumn('wide', 'dropped'), false);
    });

    test('commit() and rollback() inside are refused, and the refusal rolls the work back', async () => {
      for (const call of ['commit', 'rollback'] as const) {
        await assert.rejects(
          runPinnedTransaction(knex, async (trx) => {
            await trx('items').insert({ name: `via-${call}` });
            await trx[call]();
          }),
          new RegExp(`${call}\\(\\) is not supported`),
        );
      }
      assert.deepEqual(await names(), ['a', 'after', 'inner-kept', 'outer']);
    });
  });
}

test('PostgreSQL: SET LOCAL inside ends with the transaction', async () => {
  const knex = createPinnedKnex({ client: 'pg', connection: pgUrl(prefix) });
  try {
    const show = async (on: Knex) => (await on.raw('show statement_timeout')).rows[0].statement_timeout;
    const outside = await show(knex);
    await runPinnedTransaction(knex, async (trx) => {
      await trx.raw("set local statement_timeout = '1234ms'");
      assert.equal(await show(trx), '1234ms');
    });
    assert.equal(await show(knex), outside);
  } finally {
    await knex.destroy();
  }
});

/** A real PostgreSQL tenant session on the test database. */
async function openSession(id: string, statementTimeoutMs: number) {
  const [tenant] = validateInventory([{ id, dialect: 'postgres', connection: pgUrl(prefix) }], 'test');
  return openPostgresSession(tenant!, { timeouts: { lockTimeoutMs: 1000, statementTimeoutMs } });
}

// The PostgreSQL session talks to its connection directly and builds knex over it only on demand. When
// the server drops that connection, nothing may reconnect behind the session's back (its lock and
// settings would be gone): every later statement, raw or through knex, fails at once.
test('PostgreSQL session: a connection the server dropped fails every later statement; close() still resolves', async () => {
  const session = await openSession('dropped', 5000);
  assert.equal(await session.tryLock(0), true);
  const pid = (await session.knex.raw('select pg_backend_pid() as pid')).rows[0].pid;
  await adminQuery('select pg_terminate_backend($1)', [pid]);
  await new Promise((r) => setTimeout(r, 100));
  const t0 = Date.now();
  await assert.rejects(session.tryLock(0));
  await assert.rejects(session.knex.raw('select 1'));
  await assert.rejects(session.transaction((trx) => trx.raw('select 1')));
  assert.ok(Date.now() - t0 < 5000, 'failed fast, no reconnect attempts');
  await session.close();
});

// knex cancels a timed-out query over a second connection; the session's one connection is busy with it.
test('PostgreSQL session: a knex query with .timeout(ms, { cancel: true }) is cancelled and the session goes on', async () => {
  const session = await openSession('cancel', 60_000);
  try {
    const t0 = Date.now();
    await assert.rejects(session.knex.raw('select pg_sleep(30)').timeout(300, { cancel: true }), /timeout/i);
    assert.ok(Date.now() - t0 < 10_000, `cancelled after ${Date.now() - t0} ms`);
    assert.equal((await session.knex.raw('select 1 as one')).rows[0].one, 1);
  } finally {
    await session.close();
  }
});

// knex marks a connection whose query timed out without a cancel (`.timeout(ms)`) as `__knex__disposed`,
// because the server is still running that query on it. The pinned pool reads that knex field and
// refuses the connection from then on, as knex's own pool would discard it: the next statement fails at
// once instead of silently queueing behind the runaway query. This pins knex 3.3.0's field name.
test('PostgreSQL session: after a .timeout(ms) without cancel, the next knex statement is refused, not queued', async () => {
  const session = await openSession('disposed', 60_000);
  try {
    await assert.rejects(session.knex.raw('select pg_sleep(3)').timeout(200), /timeout/i);
    await assert.rejects(session.knex.raw('select 1'), /timeout/i);
  } finally {
    await session.close().catch(() => {});
  }
});

// Under knex, a query beside an open transaction gets another pooled connection. The session's knex
// must do the same (a `transaction: false` migration's work must not land inside its own open
// transaction), with the pinned connection's settings: a schema tenant's search_path, and timeouts a
// migration SET on the session since it opened. The extra connections close with the session.
test('PostgreSQL session: a query beside an open knex transaction runs on another connection with the same settings', async () => {
  const [tenant] = validateInventory(
    [{ id: 'beside', dialect: 'postgres', connection: pgUrl(prefix), schema: 'beside_tenant' }],
    'test',
  );
  const session = await openPostgresSession(tenant!, {
    timeouts: { lockTimeoutMs: 1000, statementTimeoutMs: 60_000 },
  });
  const settings = (on: Knex | Knex.Transaction) =>
    on
      .raw(
        "select pg_backend_pid() as pid, current_schema() as schema, current_setting('lock_timeout') as lock_timeout, current_setting('application_name') as app",
      )
      .then((r) => r.rows[0] as { pid: number; schema: string; lock_timeout: string; app: string });
  try {
    // Only a migrate creates a tenant's schema (opening a session never does).
    await session.ensureSchema();
    await session.setTimeouts({ lockTimeoutMs: 1234, statementTimeoutMs: 60_000 });
    await session.knex.schema.createTable('items', (t) => t.integer('n'));
    const trx = await session.knex.transaction();
    await trx('items').insert({ n: 1 });
    const inside = await settings(trx);
    const beside = await settings(session.knex);
    const seenBeside = (await session.knex('items').count({ c: '*' }))[0]!.c;
    await trx.rollback();

    assert.notEqual(beside.pid, inside.pid, 'another connection');
    assert.equal(Number(seenBeside), 0, 'the open transaction is not visible beside it');
    assert.deepEqual(
      { schema: beside.schema, lock_timeout: beside.lock_timeout, app: beside.app },
      { schema: 'beside_tenant', lock_timeout: '1234ms', app: 'dbfleet' },
    );
    // Free again: the next statement is back on the pinned connection.
    assert.equal((await settings(session.knex)).pid, inside.pid);
  } finally {
    await session.close();
  }
  // A backend leaves pg_stat_activity a moment after its client hung up.
  await waitFor('every connection of the session to close', async () => {
    const left = await adminQuery<{ n: string }>(
      "select count(*) as n from pg_stat_activity where application_name = 'dbfleet' and datname = $1",
      [prefix],
    );
    return Number(left[0]!.n) === 0 ? true : undefined;
  });
});
