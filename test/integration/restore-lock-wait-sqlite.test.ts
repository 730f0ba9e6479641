// `restore --lock-wait` (and timeouts.lockWait) was not passed on to the restore: a tenant an application
// held for a moment was skipped LOCKED at once, whatever wait was asked for.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { backup, restore } from '../../src/backup/index.js';
import { validateInventory } from '../../src/inventory/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-restore-wait-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('restore waits for a held SQLite tenant as long as --lock-wait says', () => {
  it('an application’s read transaction that ends within the wait does not skip the tenant', async () => {
    const file = join(dir, 'acme.sqlite');
    const db = new Database(file);
    db.exec(
      "create table notes (id integer primary key, body text); insert into notes (body) values ('kept')",
    );
    db.close();
    const [tenant] = validateInventory([{ id: 'acme', dialect: 'sqlite', connection: file }], 'test');
    const backupDir = join(dir, 'backups');
    const taken = await backup({ tenants: [tenant!], backupDir });
    assert.equal(taken.ok, true, JSON.stringify(taken.tenants));

    // The application reads in a transaction (rollback-journal mode: that holds the lock out) for 1.5 s.
    const app = new Database(file);
    app.exec('begin');
    app.prepare('select count(*) from notes').get();
    const release = setTimeout(() => {
      app.exec('commit');
      app.close();
    }, 1500);
    try {
      const report = await restore({ tenants: [tenant!], backupDir, yes: true, lockWaitMs: 15_000 });
      assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]));
    } finally {
      clearTimeout(release);
      if (app.open) app.close();
    }
  });
});
