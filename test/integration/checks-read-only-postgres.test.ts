// Smoke checks only look. A check ran on the tenant's ordinary session, so one that wrote — a
// `DELETE … RETURNING true`, a module's stray update, even on a second connection knex opened beside the
// pinned one — passed and changed customer data after the last backup of the pre-upgrade state; and a
// check file with two queries failed "Cannot read properties of undefined (reading '0')".
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Knex } from 'knex';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('checks_ro');
const database = `${prefix}_db`;
const tenants = validateInventory(
  [{ id: 'school-7', dialect: 'postgres', connection: pgUrl(database) }],
  'test',
);
let tmp: string;
let migrations: string;

async function upgradeWith(label: string, setup: { checks: unknown; hooks?: unknown }) {
  const prepared = await prepareUpgrade({
    tenants,
    migrations,
    backupDir: join(tmp, `backups-${label}`),
    journal: join(tmp, `journal-${label}.db`),
    ...setup,
  } as Parameters<typeof prepareUpgrade>[0]);
  const report = await upgrade({ ...prepared, tenants, concurrency: 1 });
  return report.tenants[0]!;
}

async function grades(): Promise<number> {
  const [row] = await queryDatabase<{ n: string }>(database, 'select count(*) as n from grades');
  return Number(row!.n);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'dbfleet-checks-ro-'));
  migrations = mkdtempSync(join(tmp, 'migrations-'));
  writeFileSync(
    join(migrations, '20240101000000_add_flags.js'),
    "export const up = (knex) => knex.schema.createTable('flags', (t) => { t.increments('id'); });\n" +
      "export const down = (knex) => knex.schema.dropTable('flags');\n",
  );
  await dropDatabases(prefix);
  await createDatabases([database]);
  await queryDatabase(
    database,
    `create table grades (id serial primary key, score int);
     insert into grades (score) select g from generate_series(1, 10) g;
     create table app_settings (key text primary key, value text);
     insert into app_settings values ('maintenance', 'off')`,
  );
});

after(async () => {
  await dropDatabases(prefix);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('smoke checks cannot write (PostgreSQL)', () => {
  test('a SQL check that deletes fails, and the rows stay', async () => {
    const tenant = await upgradeWith('sql-delete', {
      checks: [{ name: 'sneaky', sql: 'DELETE FROM grades RETURNING true' }],
    });
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'CHECK_FAILED');
    assert.match(tenant.error!.message, /smoke check sneaky failed: .*read-only transaction/);
    assert.equal(await grades(), 10);
  });

  test("a module check's write on a second connection beside the pinned one fails too", async () => {
    const run = async (knex: Knex) => {
      // Two queries at once: knex runs the second on a connection of its own.
      await Promise.all([knex.raw('select pg_sleep(0.2)'), knex('grades').del()]);
      return true;
    };
    const tenant = await upgradeWith('module-parallel', { checks: [{ name: 'parallel', run }] });
    assert.equal(tenant.status, 'failed');
    assert.match(tenant.error?.message ?? '', /smoke check parallel failed: .*read-only transaction/);
    assert.equal(await grades(), 10);
  });

  test('a check file with two queries is refused by name, not with a TypeError', async () => {
    const tenant = await upgradeWith('two-queries', {
      checks: [{ name: 'two', sql: 'SELECT true;\nSELECT count(*) = 10 FROM grades;' }],
    });
    assert.equal(tenant.status, 'failed');
    assert.match(tenant.error?.message ?? '', /smoke check two failed: one query was expected.*2 statements/);
  });

  test('after the checks the session writes again: afterTenant reopens the tenant', async () => {
    const tenant = await upgradeWith('reopen', {
      checks: [{ name: 'scores', sql: 'SELECT count(*) = 10 FROM grades' }],
      hooks: {
        beforeTenant: "update app_settings set value = 'on' where key = 'maintenance'",
        afterTenant: "update app_settings set value = 'off' where key = 'maintenance'",
      },
    });
    assert.equal(tenant.status, 'succeeded', tenant.error?.message);
    const [flag] = await queryDatabase<{ value: string }>(database, 'select value from app_settings');
    assert.equal(flag?.value, 'off');
  });
});
