// A schema tenant of a shared database whose tables have foreign keys to tables outside its schema
// (`public.plans`, another schema's `"Shared".regions` by a two-column key) — with, beside them, a shared
// enum, a domain of another schema, a default calling a function of public, an extension installed in
// public, a view of the tenant reading one of the referenced tables, and a partitioned tenant table with
// a key into public. pg_dump --schema=<tenant> holds
// none of the referenced rows, and deep verification failed SCRATCH_FAILED for every such tenant. Now the
// scratch database gets the referenced tables (structure from the source, and their current key values)
// and the archive is restored whole, foreign keys included and validated; a backup missing a foreign key
// or a table still fails.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type BackupDetails, backup, verify } from '../../src/backup/index.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import type { Tenant } from '../../src/core/tenant.js';
import { deepVerifyPassed } from '../helpers/deep-verify-passed.js';
import {
  adminQuery,
  createDatabases,
  dropDatabases,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

const run = promisify(execFile);
const prefix = uniquePrefix('vofk');
const database = `${prefix}_db`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-vofk-'));
const backupDir = join(root, 'backups');

before(async () => {
  await createDatabases([database]);
  await queryDatabase(
    database,
    `create extension citext schema public;
     create type public.tier as enum ('free', 'pro');
     create function public.next_ref() returns text language sql as $$ select 'R' || (random() * 1000)::int $$;
     create table public.plans (
       id int generated always as identity primary key, code citext not null unique,
       name text not null check (name <> ''), tier public.tier not null default 'free');
     insert into public.plans (code, name, tier) values ('basic', 'Basic', 'free'), ('gold', 'Gold', 'pro'), ('spare', 'Spare', 'pro');
     create schema "Shared";
     create domain "Shared".label as text check (value <> '');
     create table "Shared".regions (country text not null, code text not null, label "Shared".label not null,
       unique (country, code)) partition by list (country);
     create table "Shared".regions_de partition of "Shared".regions for values in ('de');
     create table "Shared".regions_fr partition of "Shared".regions for values in ('fr');
     insert into "Shared".regions values ('de', 'by', 'Bayern'), ('de', 'be', 'Berlin'), ('fr', 'idf', 'Paris');

     create table public.tags (name text, note text not null);
     create unique index tags_name_key on public.tags (name);
     insert into public.tags values ('vip', 'n'), (null, 'm');

     create schema ta;
     create table ta.accounts (
       id int primary key, plan_id int not null references public.plans (id),
       plan_code citext references public.plans (code) on update cascade,
       tier public.tier, label "Shared".label, ref text default public.next_ref(),
       country text, region text, foreign key (country, region) references "Shared".regions (country, code),
       tag text references public.tags (name));
     create table ta.notes (id int primary key, account_id int references ta.accounts, body text);
     create table ta.events (id int, plan_id int references public.plans (id), at date not null) partition by range (at);
     create table ta.events_2024 partition of ta.events for values from ('2024-01-01') to ('2025-01-01');
     create view ta.account_plans as select a.id, p.name from ta.accounts a join public.plans p on p.id = a.plan_id;
     insert into ta.accounts (id, plan_id, plan_code, tier, label, country, region, tag)
       select g, 1 + g % 2, case when g % 2 = 0 then 'BASIC' else 'gold' end, 'pro', 'L',
         case when g % 3 = 0 then null else 'de' end, 'by', case when g % 5 = 0 then 'vip' end
       from generate_series(1, 30) g;
     insert into ta.notes select g, g, 'n' from generate_series(1, 10) g;
     insert into ta.events values (1, 2, '2024-02-02');

     create table public.ext_codes (code text primary key);
     alter extension citext add table public.ext_codes;
     insert into public.ext_codes values ('x');
     create schema tb;
     create table tb.items (id int primary key, code text references public.ext_codes);

     create domain public.required as text not null;
     create table public.currencies (iso text primary key, symbol public.required);
     insert into public.currencies values ('EUR', '€');
     create schema tc;
     create table tc.prices (id int primary key, iso text references public.currencies);
     insert into tc.prices values (1, 'EUR');`,
  );
});
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const ta: Tenant = postgresTenant('fka', database, 'ta');

async function backupOf(tenant: Tenant): Promise<string> {
  const report = await backup({ tenants: [tenant], backupDir });
  assert.equal(report.tenants[0]?.status, 'succeeded', JSON.stringify(report.tenants[0]?.error));
  return (report.tenants[0]?.details as BackupDetails | undefined)?.backup?.path ?? '';
}

async function scratchLeft(): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(
    // Tenant ids of this file only: verify-shared-objects-postgres runs beside it with its own ta, tb….
    "select datname from pg_database where datname like 'dbfleet_verify_fk_\\_%'",
  );
  return rows.map((r) => r.datname).filter((n) => /^dbfleet_verify_fk[a-c]_[0-9a-f]{8}_\d+$/.test(n));
}

/**
 * A damaged backup that is consistent with itself: the archive is replaced by a pg_dump of the tenant's
 * schema taken while `damage` was applied (undone after), and the manifest's size and sha256 are made to
 * match it, so only what the archive holds — not the light checks — can tell.
 */
async function replaceArchive(path: string, damage: string, undo: string): Promise<void> {
  await queryDatabase(database, damage);
  try {
    await run('pg_dump', ['--format=custom', `--file=${path}`, '--schema=ta', `--dbname=${pgUrl(database)}`]);
  } finally {
    await queryDatabase(database, undo);
  }
  const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest;
  manifest.bytes = statSync(path).size;
  manifest.sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  writeFileSync(`${path}.manifest.json`, JSON.stringify(manifest));
}

test('a good backup of a tenant with foreign keys into public and another schema verifies deep', async () => {
  await backupOf(ta);
  const tenant = (await verify({ tenants: [ta], backupDir, deep: true })).tenants[0];
  const detail = deepVerifyPassed(tenant);
  for (const name of [
    'table public.plans',
    'type public.tier',
    'function public.next_ref()',
    'extension citext',
    'type "Shared".label',
    'table "Shared".regions',
    // The keys the archive's foreign keys were checked against: both referenced columns of plans.
    'public.plans (code; id): 3 rows',
    '"Shared".regions (country, code): 3 rows',
    // A key resting on a bare unique index, not a constraint.
    'public.tags (name): 2 rows',
  ])
    assert.ok(detail.includes(name), `${name} in: ${detail}`);
  assert.deepEqual(await scratchLeft(), []);
  assert.equal(
    (
      JSON.parse(
        readFileSync(`${(tenant?.details as BackupDetails | undefined)?.backup?.path}.manifest.json`, 'utf8'),
      ) as BackupManifest
    ).verification?.ok,
    true,
  );
});

test('a backup missing a foreign key to public still fails deep verification, naming the table', async () => {
  const path = await backupOf(ta);
  await replaceArchive(
    path,
    'alter table ta.accounts drop constraint accounts_plan_id_fkey',
    'alter table ta.accounts add constraint accounts_plan_id_fkey foreign key (plan_id) references public.plans (id)',
  );
  const tenant = (await verify({ tenants: [ta], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'failed');
  assert.equal(tenant?.error?.code, 'FINGERPRINT_MISMATCH', JSON.stringify(tenant?.error));
  assert.deepEqual(
    (tenant?.details as BackupDetails | undefined)?.differences?.map((d) => [d.table, d.what]),
    [['ta.accounts', 'schema']],
  );
  assert.deepEqual(await scratchLeft(), []);
});

test('a backup missing a table still fails', async () => {
  const path = await backupOf(ta);
  await replaceArchive(
    path,
    'alter table ta.notes rename to notes_hidden; alter table ta.notes_hidden set schema public',
    'alter table public.notes_hidden set schema ta; alter table ta.notes_hidden rename to notes',
  );
  const tenant = (await verify({ tenants: [ta], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'failed');
  assert.equal(tenant?.error?.code, 'BACKUP_INCOMPLETE', JSON.stringify(tenant?.error));
  assert.match(tenant?.error?.message ?? '', /ta\.notes/);
});

test('rows referencing a shared key deleted since the backup fail the restore, naming the foreign key', async () => {
  // What a real restore into the tenant's database would meet too: the archive's key is gone from public.
  await backupOf(ta);
  await queryDatabase(database, "update ta.accounts set plan_code = null where plan_code = 'gold'");
  await queryDatabase(database, "update public.plans set code = 'gilt' where code = 'gold'");
  try {
    const tenant = (await verify({ tenants: [ta], backupDir, deep: true })).tenants[0];
    assert.equal(tenant?.status, 'failed');
    assert.equal(tenant?.error?.code, 'RESTORE_FAILED', JSON.stringify(tenant?.error));
    assert.match(tenant?.error?.message ?? '', /accounts_plan_code_fkey/);
    assert.match(tenant?.error?.message ?? '', /Key \(plan_code\)=\(gold\) is not present in table "plans"/);
    assert.deepEqual(await scratchLeft(), []);
  } finally {
    await queryDatabase(database, "update public.plans set code = 'gold' where code = 'gilt'");
  }
});

// What cannot be recreated faithfully is refused by name, not with pg_restore's text, and is no verdict.
test('a foreign key to a table an extension owns fails SCRATCH_FAILED naming the tenant, the key and the extension', async () => {
  const tb = postgresTenant('fkb', database, 'tb');
  const path = await backupOf(tb);
  const tenant = (await verify({ tenants: [tb], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'failed');
  assert.equal(tenant?.error?.code, 'SCRATCH_FAILED', JSON.stringify(tenant?.error));
  assert.match(
    tenant?.error?.message ?? '',
    /^tenant fkb: .*tb\.items \(items_code_fkey\) → public\.ext_codes \(a table of extension citext\)/,
  );
  // Not a verdict on the backup: it stays a restore point.
  const manifest = JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8')) as BackupManifest;
  assert.deepEqual(manifest.verification && [manifest.verification.level, manifest.verification.ok], [
    'light',
    true,
  ]);
});

test('a referenced table whose other column cannot be left null fails SCRATCH_FAILED naming the table and the key', async () => {
  const tc = postgresTenant('fkc', database, 'tc');
  await backupOf(tc);
  const tenant = (await verify({ tenants: [tc], backupDir, deep: true })).tenants[0];
  assert.equal(tenant?.status, 'failed');
  assert.equal(tenant?.error?.code, 'SCRATCH_FAILED', JSON.stringify(tenant?.error));
  assert.match(
    tenant?.error?.message ?? '',
    /^tenant fkc: cannot give scratch database \S+ the keys of public\.currencies, which tc\.prices \(prices_iso_fkey\) references: domain required does not allow null values$/,
  );
});
