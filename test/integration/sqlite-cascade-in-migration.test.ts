// On SQLite, foreign keys are off during a migration's transaction (knex's table rebuild would otherwise
// cascade-delete referencing rows), so a migration's own DELETE of parent rows fires no ON DELETE action:
// the foreign key check before COMMIT fails it. The message said only "foreign key check failed: 1 row(s)";
// it now says why and what to do, and the tenant is left as it was.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrate } from '../../src/index.js';
import { validateInventory } from '../../src/inventory/validate.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-sqlite-cascade-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it('a migration relying on ON DELETE CASCADE fails, saying why and what to do; nothing changed', async () => {
  const file = join(dir, 'acme.sqlite');
  const db = new Database(file);
  db.exec(`pragma foreign_keys = on;
    create table p (id integer primary key);
    create table c (id integer primary key, p_id integer references p(id) on delete cascade);
    insert into p values (1), (2); insert into c values (10, 2);`);
  db.close();
  const migrations = join(dir, 'migrations');
  mkdirSync(migrations);
  writeFileSync(
    join(migrations, '001_drop_parent.js'),
    "exports.up = (knex) => knex('p').where({ id: 2 }).del();\nexports.down = async () => {};\n",
  );
  const tenants = validateInventory([{ id: 'acme', dialect: 'sqlite', connection: file }], 'test');
  // knex's connection for this tenant enforces foreign keys, as an application's would.
  const report = await migrate({
    tenants,
    migrations,
    knex: {
      pool: {
        afterCreate: (conn: Database.Database, done: (e?: Error) => void) => (
          conn.pragma('foreign_keys = ON'), done()
        ),
      },
    },
  } as never);
  const tenant = report.tenants[0];
  assert.equal(tenant?.status, 'failed', JSON.stringify(tenant));
  assert.match(
    tenant?.error?.message ?? '',
    /foreign key check failed: 1 row\(s\), e\.g\. in c referencing p/,
  );
  assert.match(
    tenant?.error?.message ?? '',
    /ON DELETE\/ON UPDATE actions of the migration's own statements do not fire/,
  );
  const check = new Database(file, { readonly: true });
  try {
    assert.equal((check.prepare('select count(*) as n from p').get() as { n: number }).n, 2);
  } finally {
    check.close();
  }
});
