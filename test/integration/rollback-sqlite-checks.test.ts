// On SQLite, a smoke check that touches no table (`SELECT 0`, `SELECT 1 = 0`, a module
// returning false) failed the tenant and then its rollback reported ROLLBACK_FAILED "half-upgraded": the
// migration lock's exclusive file lock was still held by the tenant's own connection (leaving exclusive
// locking mode releases it only at the next read of the file, and nothing read it), so the restore's
// copy got SQLITE_BUSY — which better-sqlite3 reports as a finished copy of 0 pages. Each variant here
// runs a real upgrade and reads the file afterwards: it must hold exactly what it held before.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Tenant } from '../../src/core/tenant.js';
import { createDemoFleet } from '../../src/demo/create-fleet.js';
import { DEMO_BASELINE } from '../../src/demo/run-demo.js';
import type { BackupContext } from '../../src/dialect/backup-types.js';
import { sqliteBackupDriver } from '../../src/dialect/sqlite/backup.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import type { UpgradeDetails } from '../../src/upgrade/types.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MIGRATIONS = join(ROOT, 'migrations');

let tmp: string;
let tenants: Tenant[];

/** Everything in the file: its schema objects and every table's rows, in a stable order. */
function contents(file: string): { schema: unknown[]; rows: Record<string, unknown[]> } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const schema = db
      .prepare(
        "select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by name",
      )
      .all() as { type: string; name: string }[];
    const rows: Record<string, unknown[]> = {};
    for (const { name } of schema.filter((s) => s.type === 'table'))
      rows[name] = db.prepare(`select * from "${name.replace(/"/g, '""')}" order by rowid`).all();
    return { schema, rows };
  } finally {
    db.close();
  }
}

async function upgradeWith(tenant: Tenant, label: string, setup: { checks?: unknown; checksDir?: string }) {
  const prepared = await prepareUpgrade({
    tenants: [tenant],
    migrations: MIGRATIONS,
    backupDir: join(tmp, `backups-${label}`),
    journal: join(tmp, `journal-${label}.db`),
    ...setup,
  });
  return upgrade({ ...prepared, tenants: [tenant], concurrency: 1 });
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-sqlite-'));
  ({ tenants } = await createDemoFleet({
    dir: join(tmp, 'fleet'),
    count: 3,
    migrationsDir: MIGRATIONS,
    baseline: DEMO_BASELINE,
  }));
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('SQLite: a failed smoke check that reads no table still rolls back to the pre-upgrade file', () => {
  const variants: { label: string; setup: () => { checks?: unknown; checksDir?: string } }[] = [
    { label: 'select-0', setup: () => ({ checks: [{ name: 'c', sql: 'SELECT 0' }] }) },
    { label: 'select-1-eq-0', setup: () => ({ checks: [{ name: 'c', sql: 'SELECT 1 = 0' }] }) },
    {
      label: 'module-false',
      setup: () => {
        const dir = join(tmp, 'checks-module');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'c.mjs'), 'export default { name: "c", run: () => false };\n');
        return { checksDir: dir };
      },
    },
  ];

  for (const [index, variant] of variants.entries()) {
    it(`${variant.label}: rolled back, the file holds exactly what it held before`, async () => {
      const tenant = tenants[index]!;
      const beforeUpgrade = contents(tenant.database);
      assert.ok(!('grades' in beforeUpgrade.rows), 'the fleet starts before the release that adds grades');

      const report = await upgradeWith(tenant, variant.label, variant.setup());

      const result = report.tenants[0]!;
      const details = result.details as UpgradeDetails;
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'CHECK_FAILED', result.error?.message);
      assert.match(result.error?.message ?? '', /smoke check c failed/);
      assert.match(result.error?.message ?? '', /rolled back to the pre-upgrade state/);
      assert.equal(details.rolledBack, true);
      assert.equal(details.needsAttention, undefined);
      assert.deepEqual(contents(tenant.database), beforeUpgrade);
    });
  }
});

describe('SQLite: the causes, one by one', () => {
  const timeouts = { lockTimeoutMs: 200, statementTimeoutMs: 0 };

  function scratchTenant(name: string): Tenant {
    const file = join(tmp, `${name}.sqlite`);
    const db = new Database(file);
    db.exec("create table t (id integer primary key, v text); insert into t (v) values ('before');");
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

  it('unlock() gives the file back even when nothing reads a table afterwards', async () => {
    const tenant = scratchTenant('unlock');
    const session = await sqliteAdapter.open(tenant, { timeouts });
    const other = new Database(tenant.database, { timeout: 200 });
    try {
      assert.equal(await session.tryLock(0), true);
      // A migration's write while the lock is held: from here exclusive locking mode keeps the file.
      await session.runScript("insert into t (v) values ('migrated')");
      await session.unlock();
      // What a constant smoke check does: no table read.
      await session.knex.raw('select 0');
      other.exec("insert into t (v) values ('from another connection')");
      assert.equal((other.prepare('select count(*) as n from t').get() as { n: number }).n, 3);
    } finally {
      other.close();
      await session.close();
    }
  });

  it('restore into a file another connection holds locked fails and says so, instead of copying nothing', async () => {
    const tenant = scratchTenant('restore-locked');
    const archive = join(tmp, 'restore-locked.backup.sqlite');
    const copy = new Database(archive);
    copy.exec("create table other (x); insert into other values ('from the backup');");
    copy.close();
    const holder = new Database(tenant.database);
    holder.exec('BEGIN EXCLUSIVE');
    const ctx: BackupContext = {
      tenant,
      session: () => sqliteAdapter.open(tenant, { timeouts }),
      releaseSession: async () => {},
      secondConnection: (fn) => fn(),
      sessionOptions: { timeouts },
      signal: new AbortController().signal,
      tools: {},
      workDir: tmp,
    };
    try {
      await assert.rejects(
        sqliteBackupDriver.restore(ctx, archive, {} as never, { dropUnexpected: true }),
        (err: Error & { code?: string }) =>
          err.code === 'RESTORE_FAILED' && /locked by another connection/.test(err.message),
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.deepEqual(contents(tenant.database).rows, { t: [{ id: 1, v: 'before' }] });
  });
});
