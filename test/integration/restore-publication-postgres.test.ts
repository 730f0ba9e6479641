// A schema tenant's tables in a publication of the shared database (logical replication, CDC): pg_dump
// --schema dumps no membership of a publication it does not dump, and pg_restore --clean drops and
// recreates the tables, so a restore — an upgrade's rollback too — took them out of it without a word and
// the tenant's change stream stopped. They are put back as they were (column list, row filter).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

const prefix = uniquePrefix('rpub');
const db = `${prefix}_shared`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rpub-'));
const backupDir = join(root, 'backups');

before(() => createDatabases([db]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const MEMBERS = `select pubname || ' ' || tablename || ' ' || attnames::text || ' ' || coalesce(rowfilter, '-') as m
  from pg_publication_tables where schemaname = 'acme' order by 1`;

test("a schema tenant's restore keeps its tables in their publications", async () => {
  const t = postgresTenant('acme', db, 'acme');
  await queryDatabase(
    db,
    `create schema acme;
     create table acme.orders (id int primary key, total int, note text);
     create table acme.items (id int primary key);
     insert into acme.orders values (1, 10, 'a'), (2, 20, 'b');
     create publication cdc for table acme.orders (id, total) where (total > 5), acme.items;
     create publication everything_orders for table acme.orders;`,
  );
  const before = (await queryDatabase<{ m: string }>(db, MEMBERS)).map((r) => r.m);
  assert.equal(before.length, 3);
  assert.equal((await backup({ tenants: [t], backupDir })).summary.failed, 0);
  await queryDatabase(
    db,
    `insert into acme.orders values (3, 30, 'c');
     create table acme.added (id int primary key); alter publication cdc add table acme.added;`,
  );

  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(
    (await queryDatabase<{ m: string }>(db, MEMBERS)).map((r) => r.m),
    before,
  );
  assert.deepEqual(await queryDatabase(db, 'select count(*)::int as n from acme.orders'), [{ n: 2 }]);
});
