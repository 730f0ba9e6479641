// A SQLite backup that meets an application's write lock (rollback-journal mode: the application is
// committing, or its transaction has spilled into the file) waits for it within the lock timeout. It waited
// with SQLite's busy handler, which sleeps on the event loop: nothing else in the process ran meanwhile —
// not the other tenants, not Ctrl-C, and not an application (or a journal, or a hook) in this same process
// that would let go. Here the application lets go from a timer of this process: on the old code it could
// not, and the backup failed LOCK_TIMEOUT after the whole lock timeout; now it waits, and backs up what the
// application committed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { backup } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-app-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('a SQLite backup while the application holds the write lock', () => {
  it('waits for the application without holding the event loop, and backs up what it committed', async () => {
    const file = join(root, 'acme.sqlite');
    const seed = new Database(file);
    seed.exec(
      "create table items (id integer primary key, name text); insert into items (name) values ('a')",
    );
    seed.close();
    const p = sqliteAdapter.parseConnection(file);
    const tenant: Tenant = {
      id: 'acme',
      dialect: 'sqlite',
      connection: p.connection,
      host: p.host,
      database: p.database,
      tags: [],
    };

    const application = new Database(file);
    application.exec('BEGIN EXCLUSIVE'); // rollback-journal mode: no reader gets in until it commits
    application.prepare("insert into items (name) values ('committed while the backup waited')").run();
    const commit = setTimeout(() => application.exec('COMMIT'), 100);
    try {
      const report = await backup({
        tenants: [tenant],
        backupDir: join(root, 'backups'),
        timeouts: { lockTimeoutMs: 5000 },
      });
      const result = report.tenants[0];
      assert.equal(result?.status, 'succeeded', JSON.stringify(result?.error));
      const path = (result?.details as { backup?: { path: string } } | undefined)?.backup?.path ?? '';
      const copy = new Database(path, { readonly: true, fileMustExist: true });
      try {
        assert.deepEqual(copy.prepare('select name from items order by id').all(), [
          { name: 'a' },
          { name: 'committed while the backup waited' },
        ]);
      } finally {
        copy.close();
      }
    } finally {
      clearTimeout(commit);
      if (application.inTransaction) application.exec('ROLLBACK');
      application.close();
    }
  });
});
