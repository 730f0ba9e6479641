import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// Restoring a schema tenant first drops what it made after the backup, with CASCADE, committed before
// pg_restore runs. In a database shared with other tenants that cascade reached their schemas: another
// tenant's column of this tenant's new enum type was dropped with its data, its view and its foreign key
// too, silently, and nothing restores them. The restore now refuses, naming them, and changes nothing.
const prefix = uniquePrefix('rxschema');
const sharedDb = `${prefix}_shared`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rxschema-'));
const backupDir = join(root, 'backups');

before(() => createDatabases([sharedDb]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

test("a schema tenant's restore never drops another schema's objects that depend on what it made since", async () => {
  const ta = postgresTenant('ta', sharedDb, 'ta');
  await queryDatabase(
    sharedDb,
    `create schema ta; create schema tb;
     create table ta.items (id int primary key); insert into ta.items values (1);
     create table tb.orders (id int primary key, item int); insert into tb.orders values (7, 1);
     create table tb.labels (id int primary key); insert into tb.labels values (1);`,
  );
  assert.equal((await backup({ tenants: [ta], backupDir })).summary.failed, 0);
  await queryDatabase(
    sharedDb,
    `create table ta.added (id int primary key); insert into ta.added values (1);
     create type ta.kind as enum ('x', 'y');
     create view tb.added_view as select id from ta.added;
     alter table tb.orders add constraint orders_item_fkey foreign key (item) references ta.added;
     alter table tb.labels add column kind ta.kind; update tb.labels set kind = 'y';
     create view tb.labels_ids as select id from tb.labels;`,
  );

  const refused = (await restoreTenant({ tenant: ta, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(refused?.error?.code, 'RESTORE_UNEXPECTED_OBJECTS', JSON.stringify(refused?.error));
  const message = refused?.error?.message ?? '';
  for (const what of [
    'column kind of table tb.labels',
    'constraint orders_item_fkey on table tb.orders',
    'view tb.added_view',
  ]) {
    assert.ok(message.includes(what), `${what} in: ${message}`);
  }
  // Only what the cascade would reach: a view over the table, not over the column, stays unnamed.
  assert.doesNotMatch(message, /labels_ids/);
  assert.deepEqual(
    await queryDatabase(
      sharedDb,
      `select (select kind::text from tb.labels) as kind, (select count(*)::int from tb.added_view) as viewed,
         (select count(*)::int from pg_constraint where conname = 'orders_item_fkey') as fk,
         (select count(*)::int from ta.added) as added`,
    ),
    [{ kind: 'y', viewed: 1, fk: 1, added: 1 }],
    'nothing was changed',
  );

  // Once the other schema no longer depends on them, the extras go and the tenant is restored.
  await queryDatabase(
    sharedDb,
    `drop view tb.added_view; alter table tb.orders drop constraint orders_item_fkey;
     alter table tb.labels drop column kind;`,
  );
  const restored = (await restoreTenant({ tenant: ta, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(
    await queryDatabase(
      sharedDb,
      `select count(*)::int as n from pg_class where relnamespace = 'ta'::regnamespace and relname = 'added'`,
    ),
    [{ n: 0 }],
  );
  assert.deepEqual(await queryDatabase(sharedDb, 'select count(*)::int as n from tb.orders'), [{ n: 1 }]);
});

test("a schema tenant's restore is refused, nothing changed, when another schema depends on what it holds", async () => {
  const tc = postgresTenant('tc', sharedDb, 'tc');
  await queryDatabase(
    sharedDb,
    `create schema tc; create schema td;
     create table tc.items (id int primary key); insert into tc.items values (1), (2);
     create table td.orders (id int primary key, item int references tc.items); insert into td.orders values (7, 1);`,
  );
  assert.equal((await backup({ tenants: [tc], backupDir })).summary.failed, 0);
  await queryDatabase(sharedDb, 'create table tc.added (id int); insert into tc.items values (3)');

  const refused = (await restoreTenant({ tenant: tc, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(refused?.error?.code, 'RESTORE_FAILED', JSON.stringify(refused?.error));
  assert.match(refused?.error?.message ?? '', /constraint orders_item_fkey on table td\.orders/);
  assert.match(refused?.error?.message ?? '', /nothing was changed/);
  assert.deepEqual(
    await queryDatabase(
      sharedDb,
      `select (select count(*)::int from tc.items) as items,
         (select count(*)::int from pg_class where relname = 'added' and relnamespace = 'tc'::regnamespace) as added`,
    ),
    [{ items: 3, added: 1 }],
    'the table created after the backup is still there: nothing was dropped before the refusal',
  );
});
