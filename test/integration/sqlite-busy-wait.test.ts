// A statement on a SQLite tenant whose file another connection holds waits for it up to the lock timeout.
// That wait used to be SQLite's busy handler (busy_timeout), which sleeps on the thread: better-sqlite3 is
// synchronous, so Node's event loop stood still meanwhile — every other tenant of the run, the live view,
// timers, Ctrl-C. Now it waits between asynchronous retries: the other tenants go on, a lock let go by
// this same process (a timer here) is noticed, and the deadline still ends in the same LOCK_TIMEOUT.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';
import { openSqliteSession } from '../../src/dialect/sqlite/session.js';
import type { TenantSession } from '../../src/dialect/types.js';
import { status } from '../../src/index.js';
import { holdExclusively } from '../helpers/sqlite-lock-holder.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-busy-'));
after(() => rmSync(root, { recursive: true, force: true }));

function tenantFile(id: string, wal = false): Tenant {
  const file = join(root, `${id}.sqlite`);
  const db = new Database(file);
  if (wal) db.pragma('journal_mode = WAL');
  db.exec("create table items (id integer primary key, name text); insert into items (name) values ('a')");
  db.close();
  const p = sqliteAdapter.parseConnection(file);
  return { id, dialect: 'sqlite', connection: p.connection, host: p.host, database: p.database, tags: [] };
}

/** The longest the event loop went without running a 20 ms interval timer, from start to stop(). */
function heartbeat(): { stop(): number } {
  let last = Date.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 20);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(longest, Date.now() - last);
    },
  };
}

const open = (tenant: Tenant, lockTimeoutMs: number) =>
  openSqliteSession(tenant, { timeouts: { lockTimeoutMs, statementTimeoutMs: 0 } });

async function withSession<T>(session: TenantSession, fn: (s: TenantSession) => Promise<T>): Promise<T> {
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}

describe('a SQLite statement waiting for a locked file', () => {
  it('lets the rest of the fleet run meanwhile, and fails LOCK_TIMEOUT at the deadline', async () => {
    const free = ['free-1', 'free-2', 'free-3'].map((id) => tenantFile(id));
    const busy = tenantFile('busy');
    const holder = await holdExclusively(busy.database);
    const done: string[] = [];
    const beat = heartbeat();
    let report: Awaited<ReturnType<typeof status>>;
    try {
      report = await status({
        tenants: [busy, ...free],
        migrations: join(import.meta.dirname, '../fixtures/migrations-basic'),
        concurrency: 4,
        timeouts: { lockTimeoutMs: 2000 },
        onEvent: (e: FleetEvent) => {
          if (e.type === 'tenant:done') done.push(e.tenantId);
        },
      });
    } finally {
      await holder.release();
    }
    const longestStall = beat.stop();
    const failed = report.tenants.find((t) => t.id === 'busy');
    assert.equal(failed?.status, 'failed');
    assert.equal(failed?.error?.code, 'LOCK_TIMEOUT');
    assert.match(failed?.error?.message ?? '', /the database file is locked by another connection/);
    for (const t of report.tenants.filter((r) => r.id !== 'busy'))
      assert.equal(t.status, 'succeeded', JSON.stringify(t.error));
    assert.deepEqual(done.slice(-1), ['busy'], `the free tenants finished while busy waited: ${done}`);
    // The busy tenant waited 2 s for its file; the event loop never stood still for half of that.
    assert.ok(longestStall < 1000, `the event loop stood still for ${longestStall} ms`);
  });

  it('a knex query goes through once this process lets go of the file before the deadline', async () => {
    const tenant = tenantFile('released-read');
    const application = new Database(tenant.database);
    application.exec('BEGIN EXCLUSIVE'); // rollback-journal mode: no reader gets in until it commits
    application.prepare("insert into items (name) values ('committed while dbfleet waited')").run();
    // Fires only if the event loop runs while the query waits: before, the query waited out the whole
    // lock timeout on the thread and failed SQLITE_BUSY.
    const commit = setTimeout(() => application.exec('COMMIT'), 300);
    try {
      const rows = await withSession(await open(tenant, 5000), (s) =>
        s.knex('items').select('name').orderBy('id'),
      );
      assert.deepEqual(rows, [{ name: 'a' }, { name: 'committed while dbfleet waited' }]);
    } finally {
      clearTimeout(commit);
      if (application.inTransaction) application.exec('ROLLBACK');
      application.close();
    }
  });

  it("a write, and a transaction's first statement, wait the same way", async () => {
    const tenant = tenantFile('released-write');
    const application = new Database(tenant.database);
    try {
      await withSession(await open(tenant, 5000), async (s) => {
        application.exec('BEGIN IMMEDIATE'); // a writer: reads go on, writes wait
        const commit = setTimeout(() => application.exec('COMMIT'), 300);
        try {
          await s.knex('items').insert({ name: 'b' });
        } finally {
          clearTimeout(commit);
        }
        application.exec('BEGIN EXCLUSIVE');
        setTimeout(() => application.exec('COMMIT'), 300);
        const inTransaction = await s.knex.transaction((trx) => trx('items').count({ n: '*' }));
        assert.deepEqual(inTransaction, [{ n: 2 }]);
        // A hook's SQL (runScript), one statement and several.
        application.exec('BEGIN EXCLUSIVE');
        setTimeout(() => application.exec('COMMIT'), 300);
        await s.runScript("insert into items (name) values ('c')");
        application.exec('BEGIN EXCLUSIVE');
        setTimeout(() => application.exec('COMMIT'), 300);
        await s.runScript("insert into items (name) values ('d'); insert into items (name) values ('e')");
        assert.deepEqual(
          (await s.knex('items').select('name').orderBy('id')).map((r: { name: string }) => r.name),
          ['a', 'b', 'c', 'd', 'e'],
        );
      });
    } finally {
      if (application.inTransaction) application.exec('ROLLBACK');
      application.close();
    }
  });

  it('ends in the same SQLITE_BUSY at the deadline, without stalling the event loop', async () => {
    const tenant = tenantFile('deadline');
    const holder = await holdExclusively(tenant.database);
    try {
      await withSession(await open(tenant, 600), async (s) => {
        const beat = heartbeat();
        const t0 = Date.now();
        const err = await s
          .knex('items')
          .select()
          .then(
            () => assert.fail('the query got through a held file'),
            (e: unknown) => e,
          );
        const waited = Date.now() - t0;
        const longestStall = beat.stop();
        assert.equal((err as { code?: string }).code, 'SQLITE_BUSY');
        assert.ok(waited >= 550, `gave up after ${waited} ms, before the lock timeout`);
        assert.ok(longestStall < 300, `the event loop stood still for ${longestStall} ms`);
        const info = sqliteAdapter.classifyError(err);
        assert.equal(info?.code, 'LOCK_TIMEOUT');
        assert.match(
          info?.message ?? '',
          /^the database file is locked by another connection: .*database is locked/,
        );
        const script = await s.runScript("insert into items (name) values ('x')").then(
          () => assert.fail('the script got through a held file'),
          (e: unknown) => e,
        );
        assert.equal((script as { code?: string }).code, 'SQLITE_BUSY');
      });
    } finally {
      await holder.release();
    }
  });

  it('inside a transaction that already read, SQLITE_BUSY is not waited on (it cannot clear)', async () => {
    for (const wal of [false, true]) {
      const tenant = tenantFile(wal ? 'in-trx-wal' : 'in-trx', wal);
      const application = new Database(tenant.database);
      try {
        await withSession(await open(tenant, 5000), async (s) => {
          const t0 = Date.now();
          const err = await s.knex
            .transaction(async (trx) => {
              await trx('items').select(); // the transaction's snapshot / shared lock
              // WAL: the application commits after that snapshot (our write gets SQLITE_BUSY_SNAPSHOT);
              // rollback journal: it holds the write lock and cannot commit while we read.
              application.exec('BEGIN IMMEDIATE');
              application.prepare("insert into items (name) values ('app')").run();
              if (wal) application.exec('COMMIT');
              await trx('items').insert({ name: 'ours' });
            })
            .then(
              () => assert.fail('the write got through'),
              (e: unknown) => e,
            );
          assert.match(String((err as { code?: string }).code), /^SQLITE_BUSY/);
          assert.ok(Date.now() - t0 < 2000, `waited ${Date.now() - t0} ms for a lock that cannot come`);
        });
      } finally {
        if (application.inTransaction) application.exec('ROLLBACK');
        application.close();
      }
    }
  });
});
