import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// An in-place restore re-creates the tenant's objects inside the live database, whose ALTER DEFAULT
// PRIVILEGES applied to every CREATE: a table whose only grant was on one column came back readable
// whole by the role the defaults named (the archive has no ACL entry to revoke it). The restored objects
// now get exactly the backup's privileges, and the default privileges are the backup's again.
const prefix = uniquePrefix('rdefacl');
const db = `${prefix}_db`;
const shared = `${prefix}_shared`;
const app = `${prefix}_app`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rdefacl-'));
const backupDir = join(root, 'backups');

before(async () => {
  await adminQuery(`create role "${app}"`);
  await createDatabases([db, shared]);
});
after(async () => {
  await dropDatabases(prefix);
  await adminQuery(`drop role if exists "${app}"`);
  rmSync(root, { recursive: true, force: true });
});

const relacl = async (database: string, table: string) =>
  (
    await queryDatabase<{ acl: string | null }>(
      database,
      `select relacl::text as acl from pg_class where oid = '${table}'::regclass`,
    )
  )[0]?.acl;

const defaults = (database: string) =>
  queryDatabase(
    database,
    `select defaclrole::regrole::text as role, defaclnamespace::regnamespace::text as schema,
       defaclobjtype::text as kind, defaclacl::text as acl from pg_default_acl order by 1, 2, 3`,
  );

const cannotRead = (database: string, table: string) =>
  assert.rejects(
    queryDatabase(database, `set role "${app}"; select s from ${table}`),
    /permission denied/,
    `${app} must not read ${table}.s`,
  );

const secrets = (table: string) => `
  create table ${table} (id int primary key, s text); insert into ${table} values (1, 'top secret');
  grant select (id) on ${table} to "${app}";`;

test('a database tenant: the restored table has the backup-time privileges, and the default privileges are the backup-time ones', async () => {
  const t = postgresTenant('acme', db);
  await queryDatabase(
    db,
    `${secrets('public.secrets')}
     alter default privileges grant select on tables to "${app}";
     alter default privileges revoke execute on functions from public;
     create schema extra; alter default privileges in schema extra grant usage on types to "${app}";`,
  );
  const aclBefore = await relacl(db, 'public.secrets');
  const defaultsBefore = await defaults(db);
  await cannotRead(db, 'public.secrets');
  const taken = await backup({ tenants: [t], backupDir });
  assert.equal(taken.summary.failed, 0, JSON.stringify(taken.tenants[0]?.error));

  // The migration being rolled back changed the defaults too.
  await queryDatabase(
    db,
    `alter default privileges grant insert on tables to "${app}";
     alter default privileges in schema public grant delete on tables to "${app}";
     alter default privileges in schema extra revoke usage on types from "${app}";`,
  );
  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true })).tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));

  assert.equal(await relacl(db, 'public.secrets'), aclBefore);
  await cannotRead(db, 'public.secrets');
  assert.deepEqual(await defaults(db), defaultsBefore);
});

test("a schema tenant: its schema's default privileges are the backup's; another tenant's are not touched", async () => {
  const a = postgresTenant('a', shared, 'tenant_a');
  await queryDatabase(
    shared,
    `create schema tenant_a; create schema tenant_b; ${secrets('tenant_a.secrets')} ${secrets('tenant_b.secrets')}
     alter default privileges in schema tenant_a grant select on tables to "${app}";
     alter default privileges in schema tenant_b grant select on tables to "${app}";`,
  );
  const aclBefore = await relacl(shared, 'tenant_a.secrets');
  const defaultsBefore = await defaults(shared);
  const taken = await backup({ tenants: [a], backupDir });
  assert.equal(taken.summary.failed, 0, JSON.stringify(taken.tenants[0]?.error));

  await queryDatabase(
    shared,
    `alter default privileges in schema tenant_a grant insert on tables to "${app}";
     alter default privileges in schema tenant_b grant update on tables to "${app}";`,
  );
  const defaultsOfB = (await defaults(shared)).filter((d) => d.schema === 'tenant_b');
  const restored = (await restoreTenant({ tenant: a, backupDir, yes: true })).tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));

  assert.equal(await relacl(shared, 'tenant_a.secrets'), aclBefore);
  await cannotRead(shared, 'tenant_a.secrets');
  const after = await defaults(shared);
  assert.deepEqual(
    after.filter((d) => d.schema === 'tenant_a'),
    defaultsBefore.filter((d) => d.schema === 'tenant_a'),
  );
  assert.deepEqual(
    after.filter((d) => d.schema === 'tenant_b'),
    defaultsOfB,
    "tenant_b's defaults as they were",
  );
});
