// On PostgreSQL: a backup that fails its verification gives up its
// final name and is never listed or restored; a full disk leaves no final-named file either.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type BackupDetails, backup, listBackups, restoreTenant } from '../../src/backup/index.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { mountTinyDisk } from '../helpers/tiny-disk.js';

const prefix = uniquePrefix('bkfault');
const DB = `${prefix}_a`;
let root: string;
let tenant: Tenant;

function only(report: FleetReport) {
  assert.equal(report.tenants.length, 1);
  return report.tenants[0]!;
}

/** A pg_restore that answers --version truthfully and then lists an empty archive: every table "missing". */
function emptyListingPgRestore(): string {
  const dir = join(root, 'bin');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'pg_restore');
  writeFileSync(path, '#!/bin/sh\nif [ "$1" = "--version" ]; then exec pg_restore --version; fi\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

/** A fresh backup, then a table made after it, and the application reading `notes` in an open transaction. */
async function lateTableBehindReader(label: string) {
  const backupDir = join(root, label);
  const taken = only(await backup({ tenants: [tenant], backupDir, keep: 1 }));
  assert.equal(taken.status, 'succeeded', taken.error?.message);
  const path = (taken.details as unknown as BackupDetails).backup!.path;
  await queryDatabase(DB, 'create table made_after_backup (x int); insert into made_after_backup values (7)');
  const reader = new pg.Client({ connectionString: pgUrl(DB), application_name: 'the app' });
  await reader.connect();
  await reader.query('begin; select count(*) from notes');
  return { backupDir, path, reader };
}

/** Waits (up to 10 s) until the number of the restore's sessions (`and …`: of those) satisfies `done`. */
async function restoreSessionsUntil(done: (n: number) => boolean, and = ''): Promise<void> {
  for (let i = 0; ; i++) {
    const [row] = await queryDatabase<{ n: number }>(
      DB,
      `select count(*)::int as n from pg_stat_activity where application_name like 'dbfleet pg_restore %' ${and}`,
    );
    if (done(row!.n)) return;
    assert.ok(i < 200, `the restore's sessions: ${row!.n}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dbfleet-bkfaults-pg-'));
  await createDatabases([DB]);
  // About 3.8 MB of hex text: more than the 1 MB disk below even compressed.
  await queryDatabase(
    DB,
    `create table notes (id int primary key, body text);
     insert into notes select g, md5(g::text) || md5((g + 1)::text) || md5(random()::text)
       from generate_series(1, 40000) g;`,
  );
  [tenant] = validateInventory(
    [{ id: `${prefix}-a`, dialect: 'postgres', connection: pgUrl(DB) }],
    'test',
  ) as [Tenant];
});

after(async () => {
  await dropDatabases(prefix);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('PostgreSQL backup faults', () => {
  it('a backup that fails its verification gives up its final name and is not listed', async () => {
    const backupDir = join(root, 'bk');
    const good = only(await backup({ tenants: [tenant], backupDir, keep: 1 }));
    assert.equal(good.status, 'succeeded', good.error?.message);
    const goodPath = (good.details as unknown as BackupDetails).backup!.path;

    const bad = only(
      await backup({
        tenants: [tenant],
        backupDir,
        keep: 1,
        tools: { bin: { pg_restore: emptyListingPgRestore() } },
      }),
    );
    assert.equal(bad.status, 'failed');
    assert.equal(bad.error?.code, 'BACKUP_INCOMPLETE');
    assert.match(bad.error?.message ?? '', /kept for inspection as .*\.dump\.failed/);
    const badDetails = bad.details as unknown as BackupDetails;
    assert.equal(badDetails.backup?.verified, false);
    assert.match(badDetails.backup?.path ?? '', /\/\.[^/]+\.dump\.failed$/);

    const dir = join(backupDir, tenant.id);
    const goodName = goodPath.slice(dir.length + 1);
    assert.deepEqual(
      readdirSync(dir)
        .filter((n) => !n.startsWith('.'))
        .sort(),
      [goodName, `${goodName}.manifest.json`],
      'only the good backup has a final name',
    );
    const verdict = JSON.parse(readFileSync(`${badDetails.backup!.path}.json`, 'utf8')) as BackupManifest;
    assert.equal(verdict.verification?.ok, false);
    assert.deepEqual(
      (await listBackups(dir)).map((e) => e.path),
      [goodPath],
    );
  });

  // A restore that must drop what was created after the backup runs those drops in the restore's own
  // transaction. An archive whose data cannot be read (its checksum rewritten to match, so the light check
  // passes) once failed only after the drops had committed: the tenant lost the new tables and kept the
  // newer data. Now the failed read rolls the drops back with everything else.
  it('a restore from an archive whose data cannot be read changes nothing, the objects to drop included', async () => {
    const backupDir = join(root, 'bk-corrupt');
    const taken = only(await backup({ tenants: [tenant], backupDir, keep: 1 }));
    assert.equal(taken.status, 'succeeded', taken.error?.message);
    const path = (taken.details as unknown as BackupDetails).backup!.path;
    const bytes = readFileSync(path);
    for (let i = bytes.length - 2000; i < bytes.length - 1990; i++) bytes[i] = bytes[i]! ^ 0xff;
    writeFileSync(path, bytes);
    const manifestPath = `${path}.manifest.json`;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
    manifest.sha256 = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    await queryDatabase(
      DB,
      'create table made_after_backup (x int); insert into made_after_backup values (1)',
    );
    try {
      const r = only(
        await restoreTenant({ tenant, backupDir, backup: path, yes: true, dropUnexpected: true }),
      );
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'RESTORE_FAILED');
      // Which error comes first is a race: pg_restore failing to read the damaged block, or psql failing
      // on the rows it garbled (a COPY error) before pg_restore reaches the block's end. Either way the
      // restore's one transaction rolled back.
      assert.match(r.error?.message ?? '', /(cannot be read whole|psql failed).*nothing was changed/s);
      const left = await queryDatabase<{ n: string }>(DB, 'select count(*) as n from made_after_backup');
      assert.equal(Number(left[0]!.n), 1, 'the table created after the backup is still there');
    } finally {
      await queryDatabase(DB, 'drop table if exists made_after_backup');
    }
  });

  // pg_restore begins with the archive's `SET lock_timeout = 0`, so the lock timeout it was started with
  // did not hold: a restore behind an application's open transaction waited as long as that did (the
  // tenant in maintenance meanwhile). Now it is cancelled after the lock timeout, naming the holder.
  it('a restore behind an open transaction fails after the lock timeout, names the holder, changes nothing', {
    timeout: 60_000,
  }, async () => {
    const backupDir = join(root, 'bk-locked');
    const taken = only(await backup({ tenants: [tenant], backupDir, keep: 1 }));
    assert.equal(taken.status, 'succeeded', taken.error?.message);
    const path = (taken.details as unknown as BackupDetails).backup!.path;
    const reader = new pg.Client({ connectionString: pgUrl(DB), application_name: 'the app' });
    await reader.connect();
    await reader.query('begin; select count(*) from notes');
    // Without the fix the restore would wait for this reader: it lets go after 20 s, so the old code
    // ends (restored, the assertions below failing) instead of hanging the suite.
    const release = setTimeout(() => void reader.query('commit').catch(() => {}), 20_000);
    try {
      const r = only(
        await restoreTenant({ tenant, backupDir, backup: path, yes: true, timeouts: { lockTimeoutMs: 300 } }),
      );
      assert.equal(r.status, 'failed', 'the restore waited for the reader');
      assert.equal(r.error?.code, 'LOCK_TIMEOUT');
      assert.match(r.error?.message ?? '', /lock timeout \(300 ms\) for a lock held by \d+ \(the app\)/);
    } finally {
      clearTimeout(release);
      await reader.query('commit').catch(() => {});
      await reader.end();
    }
    const rows = await queryDatabase<{ n: string }>(DB, 'select count(*) as n from notes');
    assert.equal(Number(rows[0]!.n), 40000);
  });

  // An interrupt while the restore waits (here for a table the application reads) stops psql and
  // pg_restore; the one transaction, drops included, rolls back with psql's session.
  it('a restore interrupted mid-way changes nothing and leaves no tool running', {
    timeout: 60_000,
  }, async () => {
    const { backupDir, path, reader } = await lateTableBehindReader('bk-interrupted');
    const controller = new AbortController();
    try {
      const restoring = restoreTenant({
        tenant,
        backupDir,
        backup: path,
        yes: true,
        dropUnexpected: true,
        signal: controller.signal,
        timeouts: { lockTimeoutMs: 30_000 },
      });
      // Abort once the restore's session is waiting for the reader's lock.
      await restoreSessionsUntil((n) => n > 0, "and wait_event_type = 'Lock'");
      controller.abort();
      const r = only(await restoring);
      assert.notEqual(r.status, 'succeeded');
      assert.equal(r.error?.code, 'INTERRUPTED', r.error?.message);
    } finally {
      await reader.query('commit').catch(() => {});
      await reader.end();
    }
    const left = await queryDatabase<{ x: number }>(DB, 'select x from made_after_backup');
    assert.deepEqual(left, [{ x: 7 }], 'the drop rolled back with the rest');
    await restoreSessionsUntil((n) => n === 0);
    await queryDatabase(DB, 'drop table if exists made_after_backup');
  });

  // The drops of what was created after the backup used to commit on their own before pg_restore started:
  // a restore that then could not get its locks failed with the new table already gone — neither the
  // upgraded tenant nor the restored one. They now run in the restore's one transaction.
  it('a restore that fails after dropping the objects created after the backup keeps them', {
    timeout: 60_000,
  }, async () => {
    const { backupDir, path, reader } = await lateTableBehindReader('bk-locked-extra');
    const release = setTimeout(() => void reader.query('commit').catch(() => {}), 20_000);
    try {
      const r = only(
        await restoreTenant({
          tenant,
          backupDir,
          backup: path,
          yes: true,
          dropUnexpected: true,
          timeouts: { lockTimeoutMs: 300 },
        }),
      );
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'LOCK_TIMEOUT', r.error?.message);
      assert.match(
        r.error?.message ?? '',
        /nothing was changed \(the objects created after the backup were kept: .*made_after_backup/,
      );
      const left = await queryDatabase<{ x: number }>(DB, 'select x from made_after_backup');
      assert.deepEqual(left, [{ x: 7 }], 'the table created after the backup and its row are still there');
    } finally {
      clearTimeout(release);
      await reader.query('commit').catch(() => {});
      await reader.end();
      await queryDatabase(DB, 'drop table if exists made_after_backup');
    }
  });

  it('a full disk fails the tenant with DISK_FULL and leaves no final-named file, no manifest, no partial', async (t) => {
    const backupDir = join(root, 'tiny');
    const unmount = mountTinyDisk(backupDir, '1m');
    if (!unmount) {
      t.skip('cannot mount a tmpfs here (needs root)');
      return;
    }
    try {
      const result = only(await backup({ tenants: [tenant], backupDir }));
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'DISK_FULL', result.error?.message);
      assert.deepEqual(readdirSync(join(backupDir, tenant.id)), []);
    } finally {
      unmount();
    }
  });
});
