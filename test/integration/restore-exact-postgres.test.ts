import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// A restore is the rollback of a failed upgrade: the tenant must come back as the backup holds it. pg_restore
// --clean only drops what the archive holds, so everything else the upgrade created stayed — an enum type
// (the restore then failed RESTORE_MISMATCH and the rollback ROLLBACK_FAILED), a function, a sequence, a
// schema; and a schema tenant with an extension in its schema could not be restored at all (DROP SCHEMA).
const prefix = uniquePrefix('rexact');
const dbTenantDb = `${prefix}_db`;
const sharedDb = `${prefix}_shared`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rexact-'));
const backupDir = join(root, 'backups');

before(() => createDatabases([dbTenantDb, sharedDb]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const tenant = (id: string, database: string, schema?: string): Tenant =>
  postgresTenant(id, database, schema);

const names = async (database: string, sql: string) =>
  (await queryDatabase<{ name: string }>(database, sql)).map((r) => r.name).sort();

const CREATED_AFTER = `
  create type public.plan as enum ('free', 'pro');
  create domain public.cents as bigint check (value >= 0);
  create type public.money_pair as (amount public.cents, currency text);
  create type public.window as range (subtype = int8);
  create sequence public.invoice_numbers;
  create function public.next_invoice(prefix text) returns text language sql as $$ select prefix || nextval('public.invoice_numbers') $$;
  create procedure public.touch(n int) language sql as $$ select n $$;
  create schema billing;
  create table billing.invoices (id int primary key, plan public.plan);
  alter table public.accounts add column plan public.plan;
  alter type public.mood add value 'sleepy';
  alter table public.ledger rename to ledger_v2;`;

test('a database tenant comes back exactly: types, functions, sequences and schemas created after the backup go', async () => {
  const t = tenant('acme', dbTenantDb);
  await queryDatabase(
    dbTenantDb,
    `create type public.mood as enum ('happy', 'sad');
     create type public.span as range (subtype = float8);
     create table public.accounts (id int primary key, name text, mood public.mood);
     insert into public.accounts select g, 'a' || g, 'happy' from generate_series(1, 50) g;
     create function public.kept(x int) returns int language sql as 'select x + 1';
     create table public.ledger (id int primary key); insert into public.ledger values (1), (2);`,
  );
  assert.equal((await backup({ tenants: [t], backupDir })).summary.failed, 0);
  await queryDatabase(dbTenantDb, CREATED_AFTER);
  // Its own statement: a label added to an enum cannot be used in the transaction that added it.
  await queryDatabase(
    dbTenantDb,
    "insert into public.accounts (id, name, mood) values (999, 'after', 'sleepy')",
  );

  const refused = (await restoreTenant({ tenant: t, backupDir, yes: true })).tenants[0];
  assert.equal(refused?.error?.code, 'RESTORE_UNEXPECTED_OBJECTS', JSON.stringify(refused?.error));
  for (const key of [
    'type public.plan',
    'domain public.cents',
    'type public.money_pair',
    'type public.window',
    'sequence public.invoice_numbers',
    'function public.next_invoice(text)',
    'procedure public.touch(integer)',
    'schema billing',
    'billing.invoices',
    // Renamed: it keeps its catalog id, but pg_restore recreates public.ledger and would leave it beside.
    'public.ledger_v2',
  ]) {
    assert.ok(refused?.error?.message.includes(key), `${key} in: ${refused?.error?.message}`);
  }
  assert.doesNotMatch(
    refused?.error?.message ?? '',
    /kept|mood|accounts/,
    'what the backup holds is not extra',
  );
  assert.deepEqual(
    await names(dbTenantDb, "select nspname as name from pg_namespace where nspname = 'billing'"),
    ['billing'],
  );

  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(
    await names(
      dbTenantDb,
      `select typname as name from pg_type t where typnamespace = 'public'::regnamespace
       and (typtype in ('e', 'd', 'r') or (typtype = 'c' and (select relkind from pg_class where oid = typrelid) = 'c'))`,
    ),
    ['mood', 'span'],
  );
  assert.deepEqual(
    await names(
      dbTenantDb,
      "select proname as name from pg_proc p where pronamespace = 'public'::regnamespace and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'i')",
    ),
    ['kept'],
  );
  assert.deepEqual(
    await names(
      dbTenantDb,
      "select relname as name from pg_class where relkind = 'S' and relnamespace = 'public'::regnamespace",
    ),
    [],
  );
  assert.deepEqual(
    await names(dbTenantDb, "select nspname as name from pg_namespace where nspname = 'billing'"),
    [],
  );
  assert.deepEqual(
    await queryDatabase(
      dbTenantDb,
      'select enum_range(null::public.mood)::text as labels, count(*)::int as n from public.accounts',
    ),
    [{ labels: '{happy,sad}', n: 50 }],
  );
});

test('a schema tenant with an extension in its schema is restored, the extension kept, its extras dropped', async () => {
  const t = tenant('globex', sharedDb, 'globex');
  await queryDatabase(
    sharedDb,
    `create schema globex; create extension citext schema globex;
     create table globex.users (id int primary key, email globex.citext);
     insert into globex.users select g, 'U' || g || '@x' from generate_series(1, 30) g;
     create schema neighbour; create type neighbour.plan as enum ('x');`,
  );
  assert.equal((await backup({ tenants: [t], backupDir })).summary.failed, 0);
  await queryDatabase(
    sharedDb,
    `delete from globex.users where id > 10;
     create type globex.plan as enum ('free'); create function globex.f() returns int language sql as 'select 1';
     create table globex.added (p globex.plan);`,
  );

  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(
    await queryDatabase(
      sharedDb,
      "select count(*)::int as n from globex.users where email operator(globex.=) 'u7@X'",
    ),
    [{ n: 1 }],
  );
  assert.deepEqual(await queryDatabase(sharedDb, 'select count(*)::int as n from globex.users'), [{ n: 30 }]);
  assert.deepEqual(
    await names(
      sharedDb,
      "select extname as name from pg_extension where extnamespace = 'globex'::regnamespace",
    ),
    ['citext'],
  );
  assert.deepEqual(
    await names(
      sharedDb,
      "select relname as name from pg_class where relnamespace = 'globex'::regnamespace and relkind = 'r' union all select proname from pg_proc where proname = 'f' and pronamespace = 'globex'::regnamespace",
    ),
    ['users'],
  );
  // Another tenant's schema in the same database is not this tenant's to drop.
  assert.deepEqual(await names(sharedDb, "select typname as name from pg_type where typname = 'plan'"), [
    'plan',
  ]);
});
