// On SQLite: a backup that fails its verification gives up its
// final name, also the upgrade's pre-upgrade backup; a full disk leaves no final-named file either.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { type BackupDetails, backup, listBackups, restoreTenant } from '../../src/backup/index.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import type { UpgradeDetails } from '../../src/upgrade/types.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { mountTinyDisk } from '../helpers/tiny-disk.js';

let root: string;

function sqliteTenant(id: string): Tenant {
  const p = sqliteAdapter.parseConnection(join(root, `${id}.sqlite`));
  return { id, dialect: 'sqlite', connection: p.connection, host: p.host, database: p.database, tags: [] };
}

function createDb(tenant: Tenant, sql: string): void {
  const db = new Database(tenant.database);
  db.exec(sql);
  db.close();
}

const KEYED = `create table t (id integer primary key, k text not null); create index t_k on t (k);
  with recursive s(n) as (select 1 union all select n + 1 from s where n < 50)
    insert into t (k) select printf('key-%04d', n) from s;`;

/**
 * Corrupts the file the way a bad disk would, without breaking its structure: one key inside the index's
 * page is rewritten, so the index no longer matches its table. Reads and the fingerprint work; SQLite's
 * integrity_check — and so a verification — does not.
 */
function corruptIndex(tenant: Tenant): void {
  const db = new Database(tenant.database);
  const { rootpage } = db.prepare("select rootpage from sqlite_master where name = 't_k'").get() as {
    rootpage: number;
  };
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const bytes = readFileSync(tenant.database);
  const page = bytes.subarray((rootpage - 1) * pageSize, rootpage * pageSize);
  const at = page.indexOf('key-0007');
  assert.ok(at >= 0, 'the key is on the index page');
  page.write('key-9997', at);
  writeFileSync(tenant.database, bytes);
}

function only(report: FleetReport) {
  assert.equal(report.tenants.length, 1);
  return report.tenants[0]!;
}

/** Files of a tenant's backup folder under a backup's final name (not hidden). */
const finalNames = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.'));

before(() => {
  root = mkdtempSync(join(tmpdir(), 'dbfleet-bkfaults-sqlite-'));
});
after(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('SQLite backup faults', () => {
  it('a backup that fails its verification leaves no final-named file; the last good one stays the restore point', async () => {
    const tenant = sqliteTenant('corrupt');
    createDb(tenant, KEYED);
    const backupDir = join(root, 'bk-corrupt');
    const good = only(await backup({ tenants: [tenant], backupDir, keep: 1 }));
    assert.equal(good.status, 'succeeded', good.error?.message);
    const goodPath = (good.details as unknown as BackupDetails).backup!.path;

    corruptIndex(tenant);
    const bad = only(await backup({ tenants: [tenant], backupDir, keep: 1 }));
    assert.equal(bad.status, 'failed');
    assert.equal(bad.error?.code, 'BACKUP_UNREADABLE');
    assert.match(bad.error?.message ?? '', /integrity_check/);
    assert.match(bad.error?.message ?? '', /kept for inspection as .*\.sqlite\.failed/);

    const dir = join(backupDir, tenant.id);
    const goodName = goodPath.slice(dir.length + 1);
    assert.deepEqual(finalNames(dir).sort(), [goodName, `${goodName}.manifest.json`]);
    const failed = readdirSync(dir).filter((n) => n.endsWith('.failed'));
    assert.equal(failed.length, 1);
    const verdict = JSON.parse(readFileSync(join(dir, `${failed[0]}.json`), 'utf8')) as BackupManifest;
    assert.equal(verdict.verification?.ok, false);
    assert.deepEqual(
      (await listBackups(dir)).map((e) => e.path),
      [goodPath],
    );
    const restored = only(await restoreTenant({ tenant, backupDir, yes: true }));
    assert.equal((restored.details as unknown as BackupDetails).backup?.path, goodPath);
  });

  it('an upgrade whose pre-upgrade backup fails verification sets it aside and changes nothing', async () => {
    const tenant = sqliteTenant('corrupt-upgrade');
    createDb(tenant, KEYED);
    corruptIndex(tenant);
    const migrations = join(root, 'migrations');
    rmSync(migrations, { recursive: true, force: true });
    mkdirSync(migrations, { recursive: true });
    writeFileSync(join(migrations, '20250101000000_add.sql'), 'create table added (id integer primary key);');
    const backupDir = join(root, 'bk-upgrade');
    const prepared = await prepareUpgrade({
      tenants: [tenant],
      migrations,
      backupDir,
      journal: join(root, 'journal.db'),
    });
    const report = await upgrade({ ...prepared, tenants: [tenant], concurrency: 1 });
    const result = only(report);
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'BACKUP_UNREADABLE');
    const steps = (result.details as unknown as UpgradeDetails).steps;
    assert.deepEqual(
      steps.map((s) => `${s.step}:${s.status}`),
      ['backup-pre:succeeded', 'verify-pre:failed'],
    );
    const dir = join(backupDir, tenant.id);
    assert.deepEqual(finalNames(dir), []);
    assert.equal(readdirSync(dir).filter((n) => n.endsWith('.failed')).length, 1);
    const db = new Database(tenant.database, { readonly: true });
    const added = db.prepare("select count(*) as n from sqlite_master where name = 'added'").get();
    db.close();
    assert.deepEqual(added, { n: 0 });
  });

  it('a full disk fails the tenant and leaves no final-named file, no manifest and no partial file', async (t) => {
    const tenant = sqliteTenant('big');
    createDb(
      tenant,
      `create table blobs (id integer primary key, b blob);
       with recursive s(n) as (select 1 union all select n + 1 from s where n < 600)
         insert into blobs (b) select randomblob(4000) from s;`,
    );
    const backupDir = join(root, 'tiny');
    const unmount = mountTinyDisk(backupDir, '1m');
    if (!unmount) {
      t.skip('cannot mount a tmpfs here (needs root)');
      return;
    }
    try {
      const result = only(await backup({ tenants: [tenant], backupDir }));
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'DISK_FULL');
      assert.match(result.error?.message ?? '', /the backup volume is full .*nothing was kept/);
      assert.deepEqual(readdirSync(join(backupDir, tenant.id)), []);
    } finally {
      unmount();
    }
  });

  it('a disk that fills between the backup and the record of its verification: DISK_FULL, the backup kept unverified', async (t) => {
    const tenant = sqliteTenant('fills');
    createDb(
      tenant,
      `create table t (id integer primary key, b blob);
       with recursive s(n) as (select 1 union all select n + 1 from s where n < 50)
         insert into t (b) select randomblob(1000) from s;`,
    );
    // A volume with room for the archive and one manifest page: the manifest's second (atomic) write —
    // the verification record — needs another page while the first still holds its own.
    const probe = only(await backup({ tenants: [tenant], backupDir: join(root, 'probe') }));
    const archive = statSync((probe.details as BackupDetails).backup!.path).size;
    const backupDir = join(root, 'almost-full');
    const unmount = mountTinyDisk(backupDir, String((Math.ceil(archive / 4096) + 1) * 4096));
    if (!unmount) {
      t.skip('cannot mount a tmpfs here (needs root)');
      return;
    }
    try {
      const result = only(await backup({ tenants: [tenant], backupDir }));
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'DISK_FULL');
      assert.match(
        result.error?.message ?? '',
        /passed its light verify, but its manifest could not record that/,
      );
      const kept = (result.details as BackupDetails).backup;
      assert.equal(kept?.verified, false);
      const manifest = JSON.parse(readFileSync(`${kept!.path}.manifest.json`, 'utf8')) as BackupManifest;
      assert.equal(manifest.verification, null, 'the manifest on disk is the first, whole one');
    } finally {
      unmount();
    }
  });
});
