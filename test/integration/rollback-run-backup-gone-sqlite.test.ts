// `rollback --run --with restore` ran the beforeTenant hook (closing the tenant to its users) before it
// looked at the run's pre-upgrade backup: one that retention (`backup --keep`) had deleted then failed the
// restore with an unclear MANIFEST_INVALID, the tenant stayed closed with nothing restored, and the
// report's reverted list named the run's migrations for every failed tenant. The backup's file and
// manifest are now checked first — before the --yes question too, which names the tenants that cannot be
// restored — a gone backup fails its tenant BACKUP_GONE, untouched and open; and `applied` lists only
// what was reverted (nothing, for a tenant whose restore was refused after the hook).
import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { type RollbackPlan, rollbackRun } from '../../src/upgrade/rollback-run.js';
import type { RunRollbackDetails } from '../../src/upgrade/rollback-tenant.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-backup-gone-'));
after(() => rmSync(root, { recursive: true, force: true }));
const backupDir = join(root, 'backups');

function tenant(id: string): Tenant {
  const file = join(root, `${id}.sqlite`);
  const db = new Database(file);
  db.exec(
    "create table customers (id integer primary key, name text); insert into customers (name) values ('a')",
  );
  db.close();
  return validateInventory([{ id, dialect: 'sqlite', connection: file }], 'test')[0]!;
}

const hasOrders = (t: Tenant) => {
  const db = new Database(t.database, { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where name = 'orders'").get() !== undefined;
  } finally {
    db.close();
  }
};

/** The pre-upgrade backup of `id` (its manifest says so). */
function preUpgradeBackupOf(id: string): string {
  const dir = join(backupDir, id);
  const manifest = readdirSync(dir).find(
    (n) =>
      n.endsWith('.manifest.json') && JSON.parse(readFileSync(join(dir, n), 'utf8')).upgrade?.stage === 'pre',
  )!;
  return join(dir, manifest.slice(0, -'.manifest.json'.length));
}

describe('rollback --run --with restore when a pre-upgrade backup is gone', () => {
  it('the tenant fails BACKUP_GONE before its hook closes it; the others are restored', async () => {
    const migrations = join(root, 'migrations');
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '001_orders.js'),
      `exports.up = (knex) => knex.schema.createTable('orders', (t) => { t.increments('id'); });
exports.down = (knex) => knex.schema.dropTable('orders');`,
    );
    const tenants = ['gone', 'damaged', 'fine'].map(tenant);
    const [gone, damaged, fine] = tenants as [Tenant, Tenant, Tenant];
    const calls: string[] = [];
    const hooks = {
      beforeTenant: (_: unknown, c: { tenant: { id: string } }) => void calls.push(`close ${c.tenant.id}`),
      afterTenant: (_: unknown, c: { tenant: { id: string } }) => void calls.push(`open ${c.tenant.id}`),
    };
    const journal = join(root, 'journal.db');
    const prepared = await prepareUpgrade({ tenants, migrations, backupDir, journal, hooks });
    const up = await upgrade({ ...prepared, tenants, concurrency: 1 });
    assert.equal(up.ok, true, JSON.stringify(up.tenants));
    calls.length = 0;

    // Retention deleted one tenant's pre-upgrade backup; another's file is damaged (present, so the
    // restore's own light check refuses it, after the hook).
    const path = preUpgradeBackupOf('gone');
    rmSync(path);
    rmSync(`${path}.manifest.json`);
    truncateSync(preUpgradeBackupOf('damaged'), 10);

    let plan: RollbackPlan | undefined;
    const report = await rollbackRun({
      ...prepared,
      tenants,
      journal,
      run: true,
      concurrency: 1,
      confirm: (p) => {
        plan = p;
      },
    });
    assert.deepEqual(
      plan?.cannotRestore.map((c) => [c.tenantId, c.error.code]),
      [['gone', 'BACKUP_GONE']],
      'the question before the rollback names the tenant that cannot be restored',
    );
    const result = (t: Tenant) => report.tenants.find((r) => r.id === t.id)!;
    const details = (t: Tenant) => result(t).details as RunRollbackDetails;

    assert.equal(result(gone).status, 'failed');
    assert.equal(result(gone).error?.code, 'BACKUP_GONE');
    assert.match(
      result(gone).error?.message ?? '',
      /pre-upgrade backup .* is gone .*backup --keep.*nothing was done to gone/,
    );
    assert.equal(details(gone).maintenance, 'untouched');
    assert.deepEqual(details(gone).applied, []);
    assert.ok(!calls.includes('close gone'), `the hook did not close it: ${calls.join(', ')}`);
    assert.equal(hasOrders(gone), true, 'nothing changed');

    assert.equal(result(damaged).status, 'failed');
    assert.equal(result(damaged).error?.code, 'RESTORE_REFUSED');
    assert.deepEqual(details(damaged).applied, [], 'nothing was reverted');
    assert.equal(hasOrders(damaged), true);

    assert.equal(result(fine).status, 'succeeded', JSON.stringify(result(fine).error));
    assert.deepEqual(details(fine).applied, ['001_orders.js']);
    assert.equal(hasOrders(fine), false);
  });
});
