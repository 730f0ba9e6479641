import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { backup, restoreTenant, verify } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { migrate, status } from '../../src/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// A schema tenant whose schema was dropped: opening its session used to create the schema again, so
// a backup reported a verified backup of nothing and retention deleted the last one with data.
const prefix = uniquePrefix('bkschema');
const database = `${prefix}_db`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-bkschema-'));
const backupDir = join(root, 'backups');
const MIGRATIONS = fileURLToPath(new URL('../fixtures/migrations-js', import.meta.url));

before(() => createDatabases([database]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const schemaTenant = (schema: string): Tenant => postgresTenant(schema, database, schema);
const schemaExists = async (schema: string) =>
  (await queryDatabase(database, 'select 1 from pg_namespace where nspname = $1', [schema])).length > 0;

test('a missing schema fails the backup, keeps the older backups, and is created by no command but migrate', async () => {
  const ta = schemaTenant('ta');
  await queryDatabase(
    database,
    'create schema ta; create table ta.orders (id int primary key); insert into ta.orders select generate_series(1, 100)',
  );
  assert.equal((await backup({ tenants: [ta], backupDir, keep: 1 })).summary.failed, 0);
  await queryDatabase(database, 'drop schema ta cascade');

  const night2 = (await backup({ tenants: [ta], backupDir, keep: 1 })).tenants[0];
  assert.equal(night2?.status, 'failed');
  assert.equal(night2?.error?.code, 'DATABASE_NOT_FOUND');
  assert.match(night2?.error?.message ?? '', /schema ta does not exist/);
  assert.equal((night2?.details as { retention?: unknown } | undefined)?.retention, undefined);
  assert.equal(readdirSync(join(backupDir, 'ta')).filter((n) => n.endsWith('.dump')).length, 1);
  assert.equal(await schemaExists('ta'), false);

  await verify({ tenants: [ta], backupDir });
  await status({ tenants: [ta], migrations: MIGRATIONS });
  assert.equal(await schemaExists('ta'), false);

  // The archive holds the schema itself: a restore brings it back with its data.
  const restored = (await restoreTenant({ tenant: ta, backupDir, yes: true })).tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(database, 'select count(*)::int as n from ta.orders'), [{ n: 100 }]);

  // A new schema tenant's first migrate creates its schema, and its tables land in it.
  const tb = schemaTenant('tb');
  const migrated = (await migrate({ tenants: [tb], migrations: MIGRATIONS })).tenants[0];
  assert.equal(migrated?.status, 'succeeded', JSON.stringify(migrated?.error));
  const tables = await queryDatabase<{ schemaname: string }>(
    database,
    "select distinct schemaname from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
  );
  assert.deepEqual(tables.map((t) => t.schemaname).sort(), ['ta', 'tb']);
});
