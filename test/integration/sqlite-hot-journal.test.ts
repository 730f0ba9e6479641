// A SQLite tenant whose application crashed in the middle of a write transaction keeps a hot journal
// (`<file>-journal`): the next read-write open rolls the unfinished transaction back. A read-only pass
// (status, plan, drift, upgrade's pre-flight) cannot, and failed the tenant with SQLite's bare "attempt to
// write a readonly database" — which neither says what is wrong nor what to do. Also pinned: the read-write
// commands (backup) do roll it back, and back up the state before the crashed transaction.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { backup } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';
import { status } from '../../src/migration/status-fleet.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-hot-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** The application: changes every row in one transaction, spills it into the file, and is killed. */
const CRASHING_WRITER = `
  const Database = require('better-sqlite3');
  const db = new Database(process.argv[1]);
  db.pragma('cache_size = 10');
  db.exec('BEGIN');
  db.prepare("update items set name = 'never committed'").run();
  process.kill(process.pid, 'SIGKILL');`;

function crashedTenant(name: string): Tenant {
  const file = join(root, `${name}.sqlite`);
  const db = new Database(file);
  db.exec(`create table items (id integer primary key, name text);
    with recursive s(i) as (select 1 union all select i + 1 from s where i < 2000)
    insert into items (name) select 'committed ' || i from s;`);
  db.close();
  const run = spawnSync(process.execPath, ['-e', CRASHING_WRITER, file], { cwd: process.cwd() });
  assert.equal(run.signal, 'SIGKILL', run.stderr.toString());
  assert.ok(existsSync(`${file}-journal`), 'the killed writer left its journal');
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

describe('a SQLite tenant with a hot journal left by a crashed writer', () => {
  it('a read-only pass fails it saying it has a hot journal and what to do, and leaves the file alone', async () => {
    const tenant = crashedTenant('read-only-pass');
    const report = await status({ tenants: [tenant], migrations: [] });
    const error = report.tenants[0]?.error;
    assert.equal(report.tenants[0]?.status, 'failed');
    assert.equal(error?.code, 'FAILED');
    assert.equal(error?.driverCode, 'SQLITE_READONLY_ROLLBACK');
    assert.match(error?.message ?? '', /hot journal/);
    assert.match(error?.message ?? '', /read-write/);
    assert.ok(existsSync(`${tenant.database}-journal`), 'a read-only pass changes nothing');
  });

  it('a backup rolls the crashed transaction back and holds only what was committed', async () => {
    const tenant = crashedTenant('backed-up');
    const report = await backup({ tenants: [tenant], backupDir: join(root, 'backups') });
    assert.equal(report.summary.succeeded, 1, JSON.stringify(report.tenants[0]?.error));
    const details = report.tenants[0]?.details as { backup?: { path: string } } | undefined;
    const path = details?.backup?.path ?? '';
    const copy = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const names = copy.prepare("select count(*) as n from items where name like 'committed %'").get();
      assert.deepEqual(names, { n: 2000 });
    } finally {
      copy.close();
    }
    assert.equal(existsSync(`${tenant.database}-journal`), false);
  });
});
