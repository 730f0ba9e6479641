import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// Kinds pg_restore --clean cannot remove and the restore did not drop first. In a schema the archive
// holds they made the whole restore fail (`DROP SCHEMA app`: an operator, a text search configuration
// depends on it); an event trigger on a function the archive holds blocked that function's drop; a
// large object, a collation, a publication made after the backup stayed after it.
const prefix = uniquePrefix('rkinds');
const db = `${prefix}_db`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rkinds-'));
const backupDir = join(root, 'backups');

before(() => createDatabases([db]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const EXTRAS = `select
  (select count(*)::int from pg_event_trigger where evtname = 'late_evt') as evt,
  (select count(*)::int from pg_collation where collname = 'late_coll') as coll,
  (select count(*)::int from pg_operator where oprname = '===') as op,
  (select count(*)::int from pg_ts_config where cfgname = 'late_ts') as ts,
  (select count(*)::int from pg_ts_dict where dictname = 'late_dict') as dict,
  (select count(*)::int from pg_conversion where conname = 'late_conv') as conv,
  (select count(*)::int from pg_publication where pubname = 'late_pub') as pub,
  (select count(*)::int from pg_largeobject_metadata) as los`;

test('a database tenant restore drops the event triggers, operators, collations, large objects … made since', async () => {
  const t = postgresTenant('acme', db);
  await queryDatabase(
    db,
    `create schema app; create table app.items (id int primary key); insert into app.items values (1);
     create function public.audit_ddl() returns event_trigger language plpgsql as $$ begin null; end $$;
     create event trigger kept_evt on ddl_command_end execute function public.audit_ddl();
     select lo_from_bytea(0, 'kept');`,
  );
  assert.equal((await backup({ tenants: [t], backupDir })).summary.failed, 0);
  await queryDatabase(
    db,
    `create event trigger late_evt on ddl_command_start execute function public.audit_ddl();
     create collation app.late_coll (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
     create operator app.=== (leftarg = int, rightarg = int, function = int4eq);
     create text search dictionary app.late_dict (template = simple);
     create text search configuration app.late_ts (copy = english);
     create conversion app.late_conv for 'LATIN1' to 'UTF8' from iso8859_1_to_utf8;
     create publication late_pub for table app.items;
     select lo_from_bytea(0, 'made after the backup');
     insert into app.items values (2);`,
  );

  const refused = (await restoreTenant({ tenant: t, backupDir, yes: true })).tenants[0];
  assert.equal(refused?.error?.code, 'RESTORE_UNEXPECTED_OBJECTS', JSON.stringify(refused?.error));
  for (const key of [
    'event trigger late_evt',
    'collation app.late_coll',
    'operator app.===',
    'text search configuration app.late_ts',
    'text search dictionary app.late_dict',
    'conversion app.late_conv',
    'publication late_pub',
    'large object ',
  ]) {
    assert.ok(refused?.error?.message.includes(key), `${key} in: ${refused?.error?.message}`);
  }
  assert.doesNotMatch(
    refused?.error?.message ?? '',
    /kept_evt|audit_ddl/,
    'what the backup holds is not extra',
  );

  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(db, EXTRAS), [
    { evt: 0, coll: 0, op: 0, ts: 0, dict: 0, conv: 0, pub: 0, los: 1 },
  ]);
  assert.deepEqual(
    await queryDatabase(
      db,
      `select (select count(*)::int from app.items) as items,
         (select count(*)::int from pg_event_trigger where evtname = 'kept_evt') as kept`,
    ),
    [{ items: 1, kept: 1 }],
  );
});
