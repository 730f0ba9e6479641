import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type BackupDetails, backup, restoreTenant, verify } from '../../src/backup/index.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import type { Tenant } from '../../src/core/tenant.js';
import { deepVerifyPassed } from '../helpers/deep-verify-passed.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// Schema tenants share one database, and their tables use what its other schemas hold: an enum of
// public, a domain of another schema (a name that needs quoting) whose check calls a function there,
// extensions (one requiring another), a sequence, a trigger function, a table a view reads.
// pg_dump --schema=<tenant> leaves all of them out, so deep verification restored into an empty scratch
// database and failed every good backup.
const prefix = uniquePrefix('vshared');
const database = `${prefix}_db`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-vshared-'));
const backupDir = join(root, 'backups');

before(async () => {
  await createDatabases([database]);
  await queryDatabase(
    database,
    `create schema extensions;
     set search_path = public, extensions; -- earthdistance's functions name cube's unqualified
     create extension citext schema public;
     create extension earthdistance schema extensions cascade;
     create schema "Shared Types";
     create function "Shared Types".valid_code(c text) returns boolean language sql immutable as $$ select c ~ '^[A-Z]+$' $$;
     create domain "Shared Types".code as text check ("Shared Types".valid_code(value));
     create type public.mood as enum ('ok', 'sad');
     create type public.gone as enum ('x');
     create sequence public.order_no;
     create function public.touch() returns trigger language plpgsql as $$ begin new.touched := now(); return new; end $$;
     create table public.settings (k text primary key, v text);
     create table public.unrelated (id int primary key, m public.mood);
     create table public.countries (code text primary key);
     insert into public.countries values ('de');

     create schema ta;
     create table ta.orders (
       id int primary key default nextval('public.order_no'),
       mood public.mood not null, moods public.mood[], code "Shared Types".code, email citext,
       place extensions.earth, touched timestamptz);
     create trigger orders_touch before insert or update on ta.orders for each row execute function public.touch();
     create view ta.order_settings as select o.id, s.v from ta.orders o cross join public.settings s;
     insert into ta.orders (mood, moods, code, email, place)
       select 'ok', array['ok', 'sad']::public.mood[], 'ABC', 'A@b.c', extensions.ll_to_earth(g, 2)
       from generate_series(1, 50) g;

     create schema tb;
     create table tb.addresses (id int primary key, country text references public.countries);
     insert into tb.addresses values (1, 'de');

     create schema tc;
     create table tc.things (id int primary key, g public.gone);
     insert into tc.things values (1, 'x');

     create schema td;
     create extension hstore schema td;
     create table td.kv (id int primary key, h td.hstore, m public.mood);
     insert into td.kv select g, 'a=>1', 'ok' from generate_series(1, 20) g;`,
  );
});
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const schemaTenant = (schema: string): Tenant => postgresTenant(schema, database, schema);

async function backupOf(tenant: Tenant): Promise<string> {
  const report = await backup({ tenants: [tenant], backupDir });
  assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]?.error));
  return (report.tenants[0]?.details as BackupDetails | undefined)?.backup?.path ?? '';
}

const manifestOf = (path: string) =>
  JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest;

async function scratchLeft(): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(
    "select datname from pg_database where datname like 'dbfleet_verify_t_\\_%'",
  );
  return rows.map((r) => r.datname).filter((n) => /^dbfleet_verify_t[a-d]_[0-9a-f]{8}_\d+$/.test(n));
}

test('a good backup of a schema tenant using shared objects verifies deep, naming what was created first; restore works', async () => {
  const ta = schemaTenant('ta');
  await backupOf(ta);
  const report = await verify({ tenants: [ta], backupDir, deep: true });
  const detail = deepVerifyPassed(report.tenants[0]);
  for (const name of [
    'type public.mood',
    'type "Shared Types".code',
    'function "Shared Types".valid_code(pg_catalog.text)',
    'sequence public.order_no',
    'function public.touch()',
    'table public.settings',
    'extension citext',
    'extension earthdistance',
    'extension cube',
  ])
    assert.ok(detail.includes(name), `${name} in: ${detail}`);
  // Only what the schema uses: another table of public, and another enum, stay out.
  assert.doesNotMatch(detail, /unrelated|countries|public\.gone/);
  assert.match(
    detail,
    /^dbfleet_verify_ta_[0-9a-f]{8}_\d+, with 9 shared objects the schema uses created first/,
  );
  assert.deepEqual(await scratchLeft(), []);

  // The real restore, into the tenant's own schema of the shared database, takes the same archive.
  await queryDatabase(database, 'delete from ta.orders where id > 10');
  const restored = (await restoreTenant({ tenant: ta, backupDir, yes: true })).tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(database, 'select count(*)::int as n from ta.orders'), [{ n: 50 }]);
});

test('a bad backup of such a tenant still fails: the shared objects hide no difference', async () => {
  const ta = schemaTenant('ta');
  const path = await backupOf(ta);
  const manifest = manifestOf(path);
  manifest.fingerprint.tables['ta.orders']!.rows = 49;
  writeFileSync(`${path}.manifest.json`, JSON.stringify(manifest));
  const tenant = (await verify({ tenants: [ta], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'failed');
  assert.equal(tenant?.error?.code, 'FINGERPRINT_MISMATCH', JSON.stringify(tenant?.error));
  assert.deepEqual(await scratchLeft(), []);
});

// Foreign keys to tables outside the schema: verify-outside-foreign-key-postgres.test.ts has the cases.
test('a foreign key to a table outside the schema: the scratch database gets the table and its keys', async () => {
  const tb = schemaTenant('tb');
  await backupOf(tb);
  const tenant = (await verify({ tenants: [tb], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'succeeded', JSON.stringify(tenant?.error));
  const detail =
    (tenant?.details as BackupDetails | undefined)?.checks?.find((c) => c.check === 'restore')?.detail ?? '';
  assert.match(
    detail,
    /table public\.countries; the keys .* copied from the source: public\.countries \(code\): 1 row$/,
  );
  assert.deepEqual(await scratchLeft(), []);
});

test('a backup using a shared type dropped since fails, naming the type rather than quoting the statement', async () => {
  const tc = schemaTenant('tc');
  await backupOf(tc);
  await queryDatabase(database, 'alter table tc.things alter column g type text; drop type public.gone');
  const tenant = (await verify({ tenants: [tc], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'failed');
  assert.equal(tenant?.error?.code, 'RESTORE_FAILED');
  assert.match(tenant?.error?.message ?? '', /type "public\.gone" does not exist/);
  assert.equal(
    readdirSync(join(backupDir, 'tc')).filter((n) => n.startsWith('.shared-')).length,
    0,
    'no leftover of the shared-object dump',
  );
});

// pg_dump --schema leaves the extensions of the tenant's own schema out of the archive: the scratch
// database gets the schema and the same extensions first (deep verify failed SCRATCH_FAILED), and the real
// restore keeps the schema (pg_restore --clean's DROP SCHEMA failed on the extension).
test("an extension installed in the tenant's own schema: deep verify and restore work, the extension kept", async () => {
  const td = schemaTenant('td');
  await backupOf(td);
  const tenant = (await verify({ tenants: [td], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'succeeded', JSON.stringify(tenant?.error));
  const detail =
    (tenant?.details as BackupDetails | undefined)?.checks?.find((c) => c.check === 'restore')?.detail ?? '';
  assert.match(
    detail,
    /extension hstore of schema td created first; with 1 shared object .*type public\.mood/,
  );
  assert.deepEqual(await scratchLeft(), []);

  await queryDatabase(database, 'delete from td.kv where id > 5');
  const restored = (await restoreTenant({ tenant: td, backupDir, yes: true })).tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(database, 'select count(*)::int as n from td.kv'), [{ n: 20 }]);
  assert.deepEqual(
    await queryDatabase(database, "select extname from pg_extension where extnamespace = 'td'::regnamespace"),
    [{ extname: 'hstore' }],
  );
});
