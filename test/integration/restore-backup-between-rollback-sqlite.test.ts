// A plain `dbfleet backup` taken after an upgrade and before `rollback --run` undid it holds the upgraded
// state as much as the run's post-upgrade backup does: `restore` (latest) took it — the newest verified
// backup — and silently re-applied the upgrade that had been rolled back. It is passed over now, and the
// restore says so; `--backup <path>` still restores it on purpose.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { BackupDetails } from '../../src/backup/context.js';
import { backup, restore } from '../../src/backup/fleet.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import type { UpgradeDetails } from '../../src/upgrade/types.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-backup-between-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const journal = join(dir, 'journal.db');
const backupDir = join(dir, 'backups');
const file = join(dir, 'a.sqlite');
const hasItems = () => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where name = 'items'").get() !== undefined;
  } finally {
    db.close();
  }
};

describe('restore after rollback --run, with a plain backup taken in between', () => {
  it('passes over that backup too, says so, and restores the pre-upgrade state', async () => {
    new Database(file).exec('create table customers (id integer primary key)');
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '001_items.js'),
      "exports.up = (knex) => knex.schema.createTable('items', (t) => { t.increments('id'); });\nexports.down = (knex) => knex.schema.dropTable('items');\n",
    );
    const tenants = validateInventory([{ id: 'a', dialect: 'sqlite', connection: file }], 'test');
    const prepared = await prepareUpgrade({
      tenants,
      migrations: join(dir, 'migrations'),
      backupDir,
      journal,
    });
    const up = await upgrade({ ...prepared, tenants, concurrency: 1 });
    assert.equal(up.ok, true, JSON.stringify(up.tenants));
    const { pre } = (up.tenants[0]!.details as UpgradeDetails).backups;

    const between = await backup({ tenants, backupDir, journal });
    assert.equal(between.ok, true, JSON.stringify(between.tenants));
    const plain = (between.tenants[0]!.details as BackupDetails).backup!.path;

    const undone = await rollbackRun({
      ...prepared,
      tenants,
      inventory: tenants,
      run: up.runId!,
      with: 'down',
      concurrency: 1,
    });
    assert.equal(undone.ok, true, JSON.stringify(undone.tenants));
    assert.equal(hasItems(), false);

    const r = await restore({ tenants, backupDir, journal, yes: true });
    assert.equal(r.ok, true, JSON.stringify(r.tenants));
    const details = r.tenants[0]!.details as BackupDetails;
    assert.equal(details.restoredFrom?.path, pre, JSON.stringify(details));
    assert.equal(hasItems(), false, 'the rolled-back upgrade is not re-applied');
    assert.ok(
      details.notes?.some(
        (n) => n.includes(`a backup taken while run ${up.runId}'s upgrade was in place`) && n.includes(plain),
      ),
      JSON.stringify(details.notes),
    );

    const named = await restore({ tenants, backupDir, journal, yes: true, backup: plain });
    assert.equal(named.ok, true, JSON.stringify(named.tenants));
    assert.equal(hasItems(), true, 'named on purpose, it is restored');
  });
});
