// A tenant with no migration history before its upgrade has knex's history tables after the downs of a
// rollback (emptied): the fingerprint check after the downs counted them as "not in the backup", so every
// `--with down` rollback of such a tenant — a fleet's first dbfleet upgrade — failed ROLLBACK_MISMATCH.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-down-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

it('rollback --with down of a tenant that had no history: its tables are back as before, no mismatch', async () => {
  const file = join(tmp, 'acme.sqlite');
  const db = new Database(file);
  db.exec(
    "create table customers (id integer primary key, name text); insert into customers (name) values ('a')",
  );
  db.close();
  const migrations = join(tmp, 'migrations');
  mkdirSync(migrations);
  writeFileSync(
    join(migrations, '001_orders.js'),
    `exports.up = (knex) => knex.schema.createTable('orders', (t) => { t.increments('id'); });
exports.down = (knex) => knex.schema.dropTable('orders');`,
  );
  const tenants = validateInventory([{ id: 'acme', dialect: 'sqlite', connection: file }], 'test');
  const journal = join(tmp, 'journal.db');
  const prepared = await prepareUpgrade({ tenants, migrations, backupDir: join(tmp, 'backups'), journal });
  const up = await upgrade({ ...prepared, tenants, concurrency: 1 });
  assert.equal(up.ok, true, JSON.stringify(up.tenants));

  const back = await rollbackRun({ ...prepared, tenants, journal, run: true, with: 'down', concurrency: 1 });
  assert.equal(back.ok, true, JSON.stringify(back.tenants));
  const after = new Database(file, { readonly: true });
  const tables = after
    .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name")
    .all()
    .map((r) => (r as { name: string }).name);
  after.close();
  assert.ok(!tables.includes('orders'), tables.join(', '));
  assert.ok(tables.includes('customers'));
});
