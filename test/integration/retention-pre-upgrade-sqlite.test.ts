// A nightly `backup --keep 1` deleted an upgrade's pre-upgrade backup: during the run (the tenant's
// pipeline then failed and had nothing to restore: ROLLBACK FAILED, half-upgraded) or after it
// (`rollback --run` then failed BACKUP_MISSING). Retention keeps the pre-upgrade backup of the tenant's
// latest upgrade run, whatever --keep says, and says so.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import type { BackupDetails } from '../../src/backup/context.js';
import { backup } from '../../src/backup/fleet.js';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import type { UpgradeDetails } from '../../src/upgrade/types.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

let tmp: string;
let migrations: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dbfleet-keep-pre-'));
  migrations = join(tmp, 'migrations');
  mkdirSync(migrations);
  writeFileSync(
    join(migrations, '001_rename.js'),
    `exports.up = (knex) => knex('customers').update({ name: 'after the upgrade' });
exports.down = () => {};`,
  );
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function tenantIn(name: string): Tenant[] {
  const file = join(tmp, `${name}.sqlite`);
  const db = new Database(file);
  db.exec(
    "create table customers (id integer primary key, name text); insert into customers (name) values ('before')",
  );
  db.close();
  return validateInventory([{ id: name, dialect: 'sqlite', connection: file }], 'test');
}

function customerName(tenant: Tenant): string {
  const db = new Database(tenant.database, { readonly: true });
  try {
    return (db.prepare('select name from customers').get() as { name: string }).name;
  } finally {
    db.close();
  }
}

test('a backup --keep 1 during the upgrade leaves the pre-upgrade backup the failed tenant is restored from', async () => {
  const tenants = tenantIn('during');
  const backupDir = join(tmp, 'backups-during');
  const journal = join(tmp, 'during.db');
  let nightly: BackupDetails['retention'];
  const prepared = await prepareUpgrade({
    tenants,
    migrations,
    backupDir,
    journal,
    // The nightly backup runs while the tenant is migrated; then its smoke check fails.
    checks: [
      {
        name: 'nightly backup meanwhile, then a failing check',
        run: async () => {
          const night = await backup({ tenants, backupDir, keep: 1 });
          assert.equal(night.ok, true, JSON.stringify(night.tenants));
          nightly = (night.tenants[0]?.details as BackupDetails | undefined)?.retention;
          return false;
        },
      },
    ],
  });
  const up = await upgrade({ ...prepared, tenants, concurrency: 1 });
  const details = up.tenants[0]?.details as UpgradeDetails;
  assert.equal(details.rolledBack, true, JSON.stringify(up.tenants));
  assert.equal(customerName(tenants[0]!), 'before');
  assert.ok(details.backups.pre && existsSync(details.backups.pre));
  const kept = nightly?.reasons.find((r) => r.path === details.backups.pre);
  assert.match(kept?.why ?? '', /pre-upgrade backup of upgrade run \S+/);
});

test('a backup --keep 1 after the upgrade leaves the pre-upgrade backup rollback --run restores', async () => {
  const tenants = tenantIn('afterwards');
  const backupDir = join(tmp, 'backups-after');
  const journal = join(tmp, 'after.db');
  const prepared = await prepareUpgrade({ tenants, migrations, backupDir, journal });
  const up = await upgrade({ ...prepared, tenants, concurrency: 1 });
  assert.equal(up.ok, true, JSON.stringify(up.tenants));
  assert.equal(customerName(tenants[0]!), 'after the upgrade');

  let held: NonNullable<BackupDetails['retention']>['heldForRollback'];
  for (let night = 0; night < 2; night++) {
    const r = await backup({ tenants, backupDir, keep: 1 });
    assert.equal(r.ok, true, JSON.stringify(r.tenants));
    held = (r.tenants[0]?.details as BackupDetails | undefined)?.retention?.heldForRollback;
  }
  // Kept beyond --keep 1, and said so: the report names the backup and its run.
  assert.equal(held?.run, up.runId);
  assert.equal(held?.path, (up.tenants[0]?.details as UpgradeDetails | undefined)?.backups.pre);
  const back = await rollbackRun({ ...prepared, tenants, journal, run: true, concurrency: 1 });
  assert.equal(back.ok, true, JSON.stringify(back.tenants));
  assert.equal(customerName(tenants[0]!), 'before');
});
