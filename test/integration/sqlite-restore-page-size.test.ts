// A backup could not be restored into a WAL tenant whose page size differs from the backup's: SQLite's
// backup API refuses a WAL destination of another page size ("attempt to write a readonly database"), so
// once the application had changed the page size (PRAGMA page_size + VACUUM) and gone on in WAL mode,
// `restore` failed with that message and nothing restored. The restore now leaves WAL mode for the copy and
// goes back to it; the tenant keeps the application's other header settings from the backup.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { backup, restoreTenant } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-page-size-'));
after(() => rmSync(root, { recursive: true, force: true }));
const backupDir = join(root, 'backups');

function settingsOf(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    const p = (name: string) => db.pragma(name, { simple: true });
    return {
      journalMode: p('journal_mode'),
      pageSize: p('page_size'),
      userVersion: p('user_version'),
      applicationId: p('application_id'),
      names: (db.prepare('select name from items order by id').all() as { name: string }[]).map(
        (r) => r.name,
      ),
    };
  } finally {
    db.close();
  }
}

describe('restoring a SQLite tenant whose page size changed after the backup', () => {
  it('restores into a WAL tenant of another page size, and the tenant stays in WAL mode', async () => {
    const file = join(root, 'acme.sqlite');
    const seed = new Database(file);
    seed.pragma('page_size = 4096');
    seed.exec(
      "create table items (id integer primary key, name text); insert into items (name) values ('a'), ('b')",
    );
    seed.pragma('user_version = 7');
    seed.pragma('application_id = 424242');
    seed.pragma('journal_mode = WAL');
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

    const taken = await backup({ tenants: [tenant], backupDir });
    assert.equal(taken.summary.succeeded, 1, JSON.stringify(taken.tenants[0]?.error));

    // The application, later: a bigger page size (only a rollback-journal database can change it), and on
    // in WAL mode with new data.
    const app = new Database(file);
    app.pragma('journal_mode = DELETE');
    app.pragma('page_size = 8192');
    app.exec('VACUUM');
    app.pragma('journal_mode = WAL');
    app.prepare("update items set name = 'changed after the backup'").run();
    app.close();
    assert.equal(settingsOf(file).pageSize, 8192);

    const report = await restoreTenant({ tenant, backupDir, yes: true });
    assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]?.error));
    assert.deepEqual(settingsOf(file), {
      journalMode: 'wal',
      pageSize: 4096,
      userVersion: 7,
      applicationId: 424242,
      names: ['a', 'b'],
    });
  });
});
