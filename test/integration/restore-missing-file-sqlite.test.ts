// A SQLite tenant whose file was deleted (or moved away) could not be restored: the restore opened the
// tenant's session to take its lock, and a missing file fails to open (UNREACHABLE), so `restore` and
// `rollback --run` failed exactly when the backup was all that was left. The backup is now written to the
// file's place as a new file: copied beside it, fsync'd, linked to its name — whole or not at all — and
// the restore still refuses what it refused, a missing folder and a deleted file's leftover WAL.
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { backup, restoreTenant, verify } from '../../src/backup/index.js';
import { restoreFromBackup } from '../../src/backup/restore.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { tenantContext } from '../helpers/sqlite-backup-ctx.js';
import { mountTinyDisk } from '../helpers/tiny-disk.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-restore-missing-'));
after(() => rmSync(root, { recursive: true, force: true }));
const backupDir = join(root, 'backups');

/** `<root>/<folder>/<id>.sqlite` with customers 'a', 'b' (and `filler` rows of 1 KB). */
function tenantIn(folder: string, id: string, filler = 0): Tenant {
  mkdirSync(join(root, folder), { recursive: true });
  const db = new Database(join(root, folder, `${id}.sqlite`));
  db.exec(
    "create table customers (id integer primary key, name text); insert into customers (name) values ('a'), ('b')",
  );
  if (filler)
    db.exec(`create table filler (id integer primary key, payload text);
      with recursive s(i) as (select 1 union all select i + 1 from s where i < ${filler})
      insert into filler (payload) select hex(randomblob(512)) from s;`);
  db.close();
  return validateInventory(
    [{ id, dialect: 'sqlite', connection: join(root, folder, `${id}.sqlite`) }],
    'test',
  )[0]!;
}

function customers(t: Tenant): string[] {
  const db = new Database(t.database, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select name from customers order by id').all() as { name: string }[]).map(
      (r) => r.name,
    );
  } finally {
    db.close();
  }
}

async function backedUp(t: Tenant): Promise<string> {
  const report = await backup({ tenants: [t], backupDir });
  assert.equal(report.ok, true, JSON.stringify(report.tenants));
  return (report.tenants[0]!.details as { backup: { path: string } }).backup.path;
}

const folderOf = (t: Tenant) => join(t.database, '..');

/** One migration (an orders table) for the rollback tests: written once, shared. */
function ordersMigrations(): string {
  const migrations = join(root, 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(
    join(migrations, '001_orders.js'),
    `exports.up = (knex) => knex.schema.createTable('orders', (t) => { t.increments('id'); });
exports.down = (knex) => knex.schema.dropTable('orders');`,
  );
  return migrations;
}

describe('SQLite: restoring a tenant whose file is gone', () => {
  it('deleted: restore writes the backup to its place, fingerprint checked, nothing else left in the folder', async () => {
    const t = tenantIn('deleted', 'acme');
    await backedUp(t);
    rmSync(t.database);

    const report = await restoreTenant({ tenant: t, backupDir, yes: true });
    const result = report.tenants[0]!;
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(customers(t), ['a', 'b']);
    const checks = (result.details as { checks: { check: string; ok: boolean }[] }).checks;
    assert.ok(checks.some((c) => c.check === 'fingerprint' && c.ok));
    assert.deepEqual(readdirSync(folderOf(t)), ['acme.sqlite']);
    assert.equal(statSync(t.database).mode & 0o777, 0o600);
  });

  // The archive is switched to a rollback journal (so it opens read-only alone); a recreated file came
  // back in that mode, though a restore into the existing file keeps the tenant's WAL.
  it('a WAL tenant comes back in WAL mode; a rollback-journal tenant stays in its mode', async () => {
    const wal = tenantIn('wal-mode', 'acme');
    const plain = tenantIn('wal-mode', 'globex');
    const db = new Database(wal.database);
    db.pragma('journal_mode = WAL');
    db.close();
    for (const t of [wal, plain]) {
      await backedUp(t);
      rmSync(t.database);
      const report = await restoreTenant({ tenant: t, backupDir, yes: true });
      assert.equal(report.tenants[0]!.status, 'succeeded', JSON.stringify(report.tenants[0]!.error));
      assert.deepEqual(customers(t), ['a', 'b']);
    }
    const mode = (t: Tenant) => {
      const opened = new Database(t.database, { fileMustExist: true });
      try {
        return opened.pragma('journal_mode', { simple: true });
      } finally {
        opened.close();
      }
    };
    assert.equal(mode(wal), 'wal');
    assert.equal(mode(plain), 'delete');
    // Only the database files: the temporary's -wal went with its connection.
    assert.deepEqual(readdirSync(folderOf(wal)).sort(), ['acme.sqlite', 'globex.sqlite']);
  });

  // A run killed (-9) during the copy left its hidden temporary file, which nothing removed.
  it("a killed restore's temporary file is removed by the next restore once a day old; a fresh one is kept", async () => {
    const t = tenantIn('stale-temp', 'acme');
    await backedUp(t);
    rmSync(t.database);
    const stale = join(folderOf(t), '.acme.sqlite.restore-0badf00d');
    const fresh = join(folderOf(t), '.acme.sqlite.restore-0000beef');
    writeFileSync(stale, 'left by a killed run');
    writeFileSync(fresh, 'another restore, now');
    const dayAndMore = new Date(Date.now() - 25 * 3600_000);
    utimesSync(stale, dayAndMore, dayAndMore);

    const result = (await restoreTenant({ tenant: t, backupDir, yes: true })).tenants[0]!;
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(readdirSync(folderOf(t)).sort(), ['.acme.sqlite.restore-0000beef', 'acme.sqlite']);
  });

  it('moved away: restore brings it back; the moved file is not touched', async () => {
    const t = tenantIn('moved', 'acme');
    await backedUp(t);
    const db = new Database(t.database);
    db.exec("insert into customers (name) values ('after the backup')");
    db.close();
    const elsewhere = join(root, 'moved-acme.sqlite');
    writeFileSync(elsewhere, readFileSync(t.database));
    rmSync(t.database);

    const report = await restoreTenant({ tenant: t, backupDir, yes: true });
    assert.equal(report.tenants[0]!.status, 'succeeded', JSON.stringify(report.tenants[0]!.error));
    assert.deepEqual(customers(t), ['a', 'b']);
    assert.deepEqual(customers({ ...t, database: elsewhere }), ['a', 'b', 'after the backup']);
  });

  it('still refuses a backup whose verification failed, and creates no file', async () => {
    const t = tenantIn('refused', 'acme');
    const path = await backedUp(t);
    // The manifest says 3 customers, the archive holds 2: a deep verify records a failed verdict.
    const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8'));
    manifest.fingerprint.tables.customers.rows = 3;
    writeFileSync(`${path}.manifest.json`, JSON.stringify(manifest));
    const deep = await verify({ tenants: [t], backupDir, deep: true, backup: path });
    assert.equal(deep.tenants[0]!.error?.code, 'FINGERPRINT_MISMATCH');
    rmSync(t.database);

    const report = await restoreTenant({ tenant: t, backupDir, yes: true, backup: path });
    assert.equal(report.tenants[0]!.error?.code, 'RESTORE_REFUSED', JSON.stringify(report.tenants[0]));
    assert.deepEqual(readdirSync(folderOf(t)), []);
  });

  it("still refuses another database's backup, and creates no file", async () => {
    const other = tenantIn('other-db', 'acme');
    const path = await backedUp(other);
    const t = tenantIn('wrong-tenant', 'acme');
    rmSync(t.database);

    const report = await restoreTenant({ tenant: t, backupDir, yes: true, backup: path });
    assert.equal(report.tenants[0]!.status, 'failed');
    assert.match(JSON.stringify(report.tenants[0]!.error), /BACKUP_WRONG_TENANT/);
    assert.deepEqual(readdirSync(folderOf(t)), []);
  });

  it('its folder gone too: UNREACHABLE naming the folder, nothing created', async () => {
    const t = tenantIn('gone-folder', 'acme');
    await backedUp(t);
    rmSync(folderOf(t), { recursive: true });

    const report = await restoreTenant({ tenant: t, backupDir, yes: true });
    const error = report.tenants[0]!.error;
    assert.equal(error?.code, 'UNREACHABLE', JSON.stringify(error));
    assert.match(error?.message ?? '', /its folder .*gone-folder does not exist.*nothing was restored/);
    assert.throws(() => statSync(folderOf(t)), /ENOENT/);
  });

  it("the deleted file's WAL still beside it: refused, nothing created, the WAL left alone", async () => {
    const t = tenantIn('leftover-wal', 'acme');
    await backedUp(t);
    rmSync(t.database);
    writeFileSync(`${t.database}-wal`, 'frames of the deleted database');

    const report = await restoreTenant({ tenant: t, backupDir, yes: true });
    const error = report.tenants[0]!.error;
    assert.equal(error?.code, 'RESTORE_FAILED', JSON.stringify(error));
    assert.match(error?.message ?? '', /acme\.sqlite-wal of it is still there/);
    assert.deepEqual(readdirSync(folderOf(t)), ['acme.sqlite-wal']);
  });

  it('interrupted while copying: nothing at its name, no temporary file left', async () => {
    const t = tenantIn('interrupted', 'acme', 2000);
    await backedUp(t);
    rmSync(t.database);
    const abort = new AbortController();
    // Aborted as the copy starts: the backup API's first step sees it.
    const c = tenantContext(t, {
      abort,
      driver: (real) => ({
        recreate: (ctx, path, info) => {
          abort.abort();
          return real.recreate!(ctx, path, info);
        },
      }),
    });
    try {
      const outcome = await restoreFromBackup(c.ctx, {
        backupDir,
        sessionOptions: { timeouts: { lockTimeoutMs: 1000, statementTimeoutMs: 0 } },
        tools: {},
        backup: 'latest',
      });
      assert.equal(outcome.error?.code, 'INTERRUPTED', JSON.stringify(outcome.error));
      assert.deepEqual(readdirSync(folderOf(t)), []);
    } finally {
      await c.close();
    }
  });

  it('a full disk: DISK_FULL, nothing at its name, no temporary file left', async (t) => {
    const dir = join(root, 'tiny');
    const unmount = mountTinyDisk(dir, '1m');
    if (!unmount) {
      t.skip('cannot mount a tmpfs here (needs root)');
      return;
    }
    try {
      const tenant = tenantIn('tiny', 'acme', 300);
      await backedUp(tenant);
      rmSync(tenant.database);
      // What the tenant's file took and more is taken now: the copy cannot fit.
      writeFileSync(join(dir, 'other'), Buffer.alloc(800 * 1024));

      const report = await restoreTenant({ tenant, backupDir, yes: true });
      assert.equal(report.tenants[0]!.error?.code, 'DISK_FULL', JSON.stringify(report.tenants[0]!.error));
      assert.deepEqual(readdirSync(dir), ['other']);
    } finally {
      unmount();
    }
  });

  it('rollback --run of an upgrade restores a tenant whose file was deleted since', async () => {
    const t = tenantIn('rollback', 'acme');
    const migrations = ordersMigrations();
    const journal = join(root, 'journal.db');
    const setup = { tenants: [t], migrations, backupDir: join(root, 'upgrade-backups'), journal };
    const prepared = await prepareUpgrade(setup);
    const up = await upgrade({ ...prepared, tenants: [t], concurrency: 1 });
    assert.equal(up.ok, true, JSON.stringify(up.tenants));
    rmSync(t.database);

    const back = await rollbackRun({ ...prepared, tenants: [t], journal, run: true, concurrency: 1 });
    assert.equal(back.ok, true, JSON.stringify(back.tenants));
    assert.deepEqual(customers(t), ['a', 'b']);
    const db = new Database(t.database, { readonly: true });
    const orders = db.prepare("select count(*) as n from sqlite_master where name = 'orders'").get() as {
      n: number;
    };
    db.close();
    assert.equal(orders.n, 0, 'the pre-upgrade backup has no orders table');
  });

  // The rollback ran the beforeTenant hook first, which needs the database: a deleted file failed the
  // whole rollback, and the tenant was left with no database at all. The hook is skipped (nothing can be
  // using a file that is not there), the file restored, and --reopen's afterTenant runs on it.
  it('rollback --run with hooks restores a tenant whose file was deleted; afterTenant reopens it', async () => {
    const t = tenantIn('rollback-hooks', 'acme');
    const migrations = ordersMigrations();
    const calls: string[] = [];
    const hooks = {
      beforeTenant: async (knex: Knex) => {
        await knex.raw('select 1');
        calls.push('before');
      },
      afterTenant: async (knex: Knex) => {
        const [row] = (await knex.raw('select count(*) as n from customers')) as { n: number }[];
        calls.push(`after ${row?.n}`);
      },
    };
    const journal = join(root, 'journal-hooks.db');
    const setup = { tenants: [t], migrations, backupDir: join(root, 'hook-backups'), journal, hooks };
    const prepared = await prepareUpgrade(setup);
    const up = await upgrade({ ...prepared, tenants: [t], concurrency: 1 });
    assert.equal(up.ok, true, JSON.stringify(up.tenants));
    assert.deepEqual(calls, ['before', 'after 2']);
    rmSync(t.database);

    const events: FleetEvent[] = [];
    const back = await rollbackRun({
      ...prepared,
      tenants: [t],
      journal,
      run: true,
      concurrency: 1,
      reopen: true,
      onEvent: (e) => events.push(e),
    });
    assert.equal(back.ok, true, JSON.stringify(back.tenants));
    assert.deepEqual(customers(t), ['a', 'b']);
    assert.deepEqual(
      calls,
      ['before', 'after 2', 'after 2'],
      'no beforeTenant on the missing file; afterTenant on the restored one',
    );
    assert.ok(
      events.some((e) => e.type === 'notice' && /beforeTenant hook not run/.test(e.message)),
      'the run says why the hook did not run',
    );
  });
});
