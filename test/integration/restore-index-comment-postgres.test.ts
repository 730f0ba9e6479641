import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// The in-place restore lists a partition's attached indexes and keys first (toc-partition-order.ts). It
// did so by permuting every index and key across their places, leaving each one's COMMENT where it was:
// a commented index or key then came after its comment, and the restore failed RESTORE_FAILED
// (`relation "public.accounts_email" does not exist`) — an upgrade's rollback of such a tenant too.
const prefix = uniquePrefix('ridxc');
const db = `${prefix}_db`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-ridxc-'));
const backupDir = join(root, 'backups');

before(() => createDatabases([db]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const comments = `select c.relname as name, d.description from pg_description d
  join pg_class c on c.oid = d.objoid and d.classoid = 'pg_class'::regclass
  union all select con.conname, d.description from pg_description d
  join pg_constraint con on con.oid = d.objoid and d.classoid = 'pg_constraint'::regclass
  order by 1`;

test('a tenant with commented indexes and keys and an indexed partitioned table is restored in place', async () => {
  const t = postgresTenant('acme', db);
  await queryDatabase(
    db,
    `create table accounts (id int primary key, email text);
     create index accounts_email on accounts (email);
     comment on index accounts_email is 'login lookup';
     comment on constraint accounts_pkey on accounts is 'the key';
     create table events (at date not null, v int) partition by range (at);
     create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
     create index events_at on events (at);
     comment on index events_at is 'by day';
     comment on index events_2024_at_idx is 'by day, 2024';
     insert into accounts values (1, 'a@example.com');`,
  );
  const before = await queryDatabase(db, comments);
  assert.equal(before.length, 4);
  assert.equal((await backup({ tenants: [t], backupDir })).summary.failed, 0);
  await queryDatabase(db, `comment on index accounts_email is 'changed'; delete from accounts`);

  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true })).tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(db, comments), before);
  assert.deepEqual(await queryDatabase(db, 'select count(*)::int as n from accounts'), [{ n: 1 }]);
});
