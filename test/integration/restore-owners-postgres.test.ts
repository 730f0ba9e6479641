// A tenant whose user is not a superuser, with objects another role owns (a migration role next to the
// application's). pg_restore gives each object back to its owner, which that user may not do: the
// restore failed inside pg_restore — after the objects created since the backup had been dropped, so
// the tenant lost them and got nothing back. It is now refused first, naming why, with nothing changed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import { type Tenant, validateInventory } from '../../src/index.js';
import { adminQuery, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('rowners');
const db = `${prefix}_db`;
const app = `${prefix}_app`;
const owner = `${prefix}_owner`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rowners-'));
const backupDir = join(root, 'backups');

before(async () => {
  await adminQuery(`create role "${app}" login; create role "${owner}" nologin`);
  await adminQuery(`create database "${db}" owner "${app}"`);
});
after(async () => {
  await dropDatabases(prefix);
  await adminQuery(`drop role if exists "${app}"; drop role if exists "${owner}"`);
  rmSync(root, { recursive: true, force: true });
});

test('a restore that could not give objects back to their owner is refused before anything changes', async () => {
  const url = new URL(pgUrl(db));
  url.username = app;
  const [t] = validateInventory(
    [{ id: 'acme', dialect: 'postgres', connection: url.toString() }],
    'test',
  ) as [Tenant];
  await queryDatabase(
    db,
    `create table public.accounts (id int primary key); alter table public.accounts owner to "${app}";
     create table public.ledger (id int); insert into public.ledger values (1);
     alter table public.ledger owner to "${owner}"; grant select on public.ledger to "${app}";`,
  );
  const taken = await backup({ tenants: [t], backupDir });
  assert.equal(taken.summary.failed, 0, JSON.stringify(taken.tenants[0]?.error));
  await queryDatabase(db, `create table public.later (id int); alter table public.later owner to "${app}"`);

  const refused = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true })).tenants[0];
  assert.equal(refused?.error?.code, 'PERMISSION_DENIED', JSON.stringify(refused?.error));
  assert.match(refused?.error?.message ?? '', new RegExp(`${owner} \\(not a member\\)`));
  assert.deepEqual(
    await queryDatabase(db, "select count(*)::int as n from pg_class where relname = 'later'"),
    [{ n: 1 }],
    'nothing was changed',
  );

  // With the role and its CREATE on the schema, the same user restores it, owners and all.
  await adminQuery(`grant "${owner}" to "${app}"`);
  await queryDatabase(db, `grant create on schema public to "${owner}"`);
  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(
    await queryDatabase(
      db,
      "select relowner::regrole::text as o from pg_class where relname = 'ledger' union all select count(*)::text from pg_class where relname = 'later'",
    ),
    [{ o: owner }, { o: '0' }],
  );
});
