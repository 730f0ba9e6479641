// The SQLite migration lock (an exclusive file lock) against an application that has the tenant open.
// Its faults: (1) a WAL tenant stayed locked after unlock() — exclusive mode set before the connection's
// first WAL access builds the WAL index in private memory, and `locking_mode = NORMAL` is then a no-op, so
// the application was kept out until the session closed (the rest of an upgrade); (2) the wait for a held
// lock was SQLite's busy handler, which sleeps on the event loop: every other tenant of the run stood
// still, and the abort signal (Ctrl-C) was not heard until the whole --lock-wait had passed — and, holding
// on to the shared lock of its refused attempt while it waited, dbfleet made the application's own COMMIT
// fail SQLITE_BUSY once the application's busy timeout ran out: the application's write was lost; (3) a WAL
// tenant that an application merely has open was reported locked by "an application connection writing";
// (4) a rollback-journal tenant an application only reads in a transaction was reported the same way; (5) a
// file this user may not write was locked (SQLite grants the lock to a read-only open) and failed later with
// "attempt to write a readonly database" alone.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { TenantError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';
import { withTenantLock } from '../../src/dialect/tenant-lock.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));

const timeouts = { lockTimeoutMs: 5000, statementTimeoutMs: 60_000 };

function tenantFile(name: string, mode: 'wal' | 'delete'): Tenant {
  const file = join(root, `${name}.sqlite`);
  const db = new Database(file);
  db.pragma(`journal_mode = ${mode}`);
  db.exec('create table items (id integer primary key, name text)');
  db.close();
  const p = sqliteAdapter.parseConnection(file);
  return {
    id: name,
    dialect: 'sqlite',
    connection: p.connection,
    host: p.host,
    database: p.database,
    tags: [],
  };
}

/** The application of the commit test: holds a write transaction, commits it 500 ms after "go" on stdin. */
const APPLICATION_COMMITTING_LATER = `
  const Database = require('better-sqlite3');
  const db = new Database(process.argv[1]);
  db.pragma('busy_timeout = 1000');
  db.exec('BEGIN IMMEDIATE');
  db.prepare("insert into items (name) values ('committed by the application')").run();
  process.stdout.write('ready\\n');
  process.stdin.once('data', () => setTimeout(() => { db.exec('COMMIT'); db.close(); process.exit(0); }, 500));`;

/** Makes `file` unwritable for this process (root ignores modes: chattr +i); undefined where neither works. */
function unwritableFile(file: string): (() => void) | undefined {
  const writable = () => {
    try {
      closeSync(openSync(file, 'r+'));
      return true;
    } catch {
      return false;
    }
  };
  chmodSync(file, 0o444);
  if (!writable()) return () => chmodSync(file, 0o644);
  if (spawnSync('chattr', ['+i', file]).status === 0 && !writable())
    return () => {
      spawnSync('chattr', ['-i', file]);
      chmodSync(file, 0o644);
    };
  spawnSync('chattr', ['-i', file]);
  chmodSync(file, 0o644);
  return undefined;
}

/** The application: its own connection that never waits for a lock (a wait would hide a held one). */
function app(tenant: Tenant): Database.Database {
  const db = new Database(tenant.database);
  db.pragma('busy_timeout = 0');
  return db;
}

describe('the SQLite migration lock while an application has the tenant open', () => {
  it('a WAL tenant lets the application back in as soon as the lock is released', async () => {
    const tenant = tenantFile('wal-unlock', 'wal');
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      // (In WAL mode the application cannot have the file open while the lock is taken: see below.)
      assert.equal(await session.tryLock(0), true);
      await session.unlock();
      const back = app(tenant);
      try {
        back.prepare("insert into items (name) values ('written after the unlock')").run();
        assert.equal((back.prepare('select count(*) as n from items').get() as { n: number }).n, 1);
      } finally {
        back.close();
      }
    } finally {
      await session.close();
    }
  });

  it('waiting for a held lock leaves the event loop running: a holder that lets go meanwhile is waited for', async () => {
    const tenant = tenantFile('wait-loop', 'delete');
    const holder = app(tenant);
    holder.exec('BEGIN IMMEDIATE');
    // Lets go from a timer of this process: it can fire only while the wait does not hold the event loop.
    const release = setTimeout(() => holder.exec('COMMIT'), 100);
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      assert.equal(await session.tryLock(5000), true);
      await session.unlock();
    } finally {
      clearTimeout(release);
      if (holder.inTransaction) holder.exec('COMMIT');
      holder.close();
      await session.close();
    }
  });

  it("waiting for the lock does not make the application's own commit fail (its write is not lost)", async () => {
    const tenant = tenantFile('app-commit', 'delete');
    // The application, in another process: a write transaction it commits half a second after "go", waiting
    // up to one second for locks, as applications do (better-sqlite3's default is five).
    const application = spawn(process.execPath, ['-e', APPLICATION_COMMITTING_LATER, tenant.database], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    application.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => application.on('exit', (code) => done(code)));
    await new Promise<void>((ready) => application.stdout.once('data', () => ready()));
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      application.stdin.write('go\n');
      assert.equal(await session.tryLock(10_000), true);
      await session.unlock();
    } finally {
      await session.close();
    }
    assert.equal(await exited, 0, `the application's commit failed: ${stderr}`);
    const check = app(tenant);
    try {
      assert.deepEqual(check.prepare('select name from items').all(), [
        { name: 'committed by the application' },
      ]);
    } finally {
      check.close();
    }
  });

  it('an abort ends the wait for a lock that is never let go: the tenant is skipped INTERRUPTED', {
    timeout: 20_000, // the wait asked for is 60 s: the old code held the event loop for all of it
  }, async () => {
    const tenant = tenantFile('wait-abort', 'delete');
    const holder = app(tenant);
    holder.exec('BEGIN IMMEDIATE');
    const stop = new AbortController();
    const abort = setTimeout(() => stop.abort(), 100);
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      await assert.rejects(
        withTenantLock(session, { waitMs: 60_000, signal: stop.signal }, async () => {}),
        (err: unknown) => err instanceof TenantError && err.code === 'INTERRUPTED' && err.skipped === true,
      );
    } finally {
      clearTimeout(abort);
      holder.exec('COMMIT');
      holder.close();
      await session.close();
    }
  });

  it('a WAL tenant an application merely has open is LOCKED, and the message says WAL mode is why', async () => {
    const tenant = tenantFile('wal-idle-app', 'wal');
    const application = app(tenant);
    application.prepare("insert into items (name) values ('the app wrote and is idle now')").run();
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      await assert.rejects(
        withTenantLock(session, 0, async () => {}),
        (err: unknown) =>
          err instanceof TenantError &&
          err.code === 'LOCKED' &&
          /WAL mode/.test(err.message) &&
          /idle/.test(err.message),
      );
      // Refused, not half-taken: the application goes on writing.
      application.prepare("insert into items (name) values ('and writes again')").run();
    } finally {
      application.close();
      await session.close();
    }
  });

  it('a refused lock leaves no lock behind: the application in its write transaction can commit', async () => {
    const tenant = tenantFile('refused-commit', 'delete');
    const application = app(tenant);
    application.exec('BEGIN IMMEDIATE');
    application.prepare("insert into items (name) values ('inside the application transaction')").run();
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      assert.equal(await session.tryLock(0), false);
      application.exec('COMMIT');
      assert.equal((application.prepare('select count(*) as n from items').get() as { n: number }).n, 1);
    } finally {
      if (application.inTransaction) application.exec('ROLLBACK');
      application.close();
      await session.close();
    }
  });

  it('a rollback-journal tenant an application reads in a transaction is LOCKED, and the message says a reading one is enough', async () => {
    const tenant = tenantFile('delete-reader', 'delete');
    const application = app(tenant);
    application.exec('BEGIN');
    application.prepare('select count(*) from items').get();
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      await assert.rejects(
        withTenantLock(session, 0, async () => {}),
        (err: unknown) =>
          err instanceof TenantError && err.code === 'LOCKED' && /a reading one is enough/.test(err.message),
      );
    } finally {
      application.exec('COMMIT');
      application.close();
      await session.close();
    }
  });

  it('a tenant file this user may not write fails the lock saying so, not "attempt to write a readonly database" alone', async (t) => {
    const tenant = tenantFile('read-only-file', 'delete');
    const undo = unwritableFile(tenant.database);
    if (!undo) return t.skip('cannot make a file unwritable here (neither chmod nor chattr +i)');
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      await assert.rejects(
        withTenantLock(session, 0, async () => {}),
        (err: unknown) =>
          err instanceof TenantError && err.code === 'FAILED' && /read-only for this user/.test(err.message),
      );
    } finally {
      await session.close();
      undo();
    }
  });

  it('a rollback-journal tenant an idle application has open is locked and released as before', async () => {
    const tenant = tenantFile('delete-idle-app', 'delete');
    const application = app(tenant);
    application.prepare("insert into items (name) values ('idle now')").run();
    const session = await sqliteAdapter.open(tenant, { timeouts });
    try {
      assert.equal(await session.tryLock(0), true);
      assert.throws(() => application.prepare('select count(*) from items').get(), /locked/);
      await session.unlock();
      application.prepare("insert into items (name) values ('back in')").run();
    } finally {
      application.close();
      await session.close();
    }
  });
});
