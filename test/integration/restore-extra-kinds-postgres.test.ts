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

const MORE_EXTRAS = `select
  (select count(*)::int from pg_opclass where opcname = 'late_ops') as opclass,
  (select count(*)::int from pg_opfamily where opfname = 'late_fam') as opfamily,
  (select count(*)::int from pg_ts_parser where prsname = 'late_parser') as parser,
  (select count(*)::int from pg_ts_template where tmplname = 'late_tmpl') as tmpl,
  (select count(*)::int from pg_cast where castsource = 'app.mood'::regtype) as casts,
  (select count(*)::int from pg_foreign_data_wrapper where fdwname = 'late_fdw') as fdw,
  (select count(*)::int from pg_foreign_server where srvname like 'late_srv%') as servers,
  (select count(*)::int from pg_user_mappings where srvname = 'kept_srv') as mappings`;

// Operator classes and families, text search parsers and templates, casts, foreign-data wrappers, servers
// and user mappings made after the backup were not removed: they stayed after an upgrade's rollback (a
// user mapping on a server the archive holds even made pg_restore's drop of that server fail).
test('a database tenant restore drops the operator classes, casts, servers … made since', async () => {
  const moreDb = `${prefix}_more`;
  await createDatabases([moreDb]);
  const t = postgresTenant('more', moreDb);
  await queryDatabase(
    moreDb,
    `create schema app; create type app.mood as enum ('calm', 'cross');
     create table app.items (id int primary key, mood app.mood); insert into app.items values (1, 'calm');
     create function app.int_cmp(int, int) returns int language sql immutable
       as 'select case when $1 < $2 then -1 when $1 > $2 then 1 else 0 end';
     create function app.mood_text(app.mood) returns text language sql immutable as 'select $1::text';
     create foreign data wrapper kept_fdw; create server kept_srv foreign data wrapper kept_fdw;`,
  );
  assert.equal((await backup({ tenants: [t], backupDir })).summary.failed, 0);
  await queryDatabase(
    moreDb,
    `create operator family app.late_fam using btree;
     create operator class app.late_ops for type int using btree family app.late_fam as
       operator 1 <, operator 3 =, function 1 app.int_cmp(int, int);
     create text search template app.late_tmpl (lexize = dsimple_lexize, init = dsimple_init);
     create text search parser app.late_parser (start = prsd_start, gettoken = prsd_nexttoken,
       end = prsd_end, lextypes = prsd_lextype);
     create cast (app.mood as text) with function app.mood_text(app.mood);
     create foreign data wrapper late_fdw; create server late_srv foreign data wrapper late_fdw;
     create server late_srv2 foreign data wrapper kept_fdw;
     create user mapping for public server kept_srv;
     insert into app.items values (2, 'cross');`,
  );

  const refused = (await restoreTenant({ tenant: t, backupDir, yes: true })).tenants[0];
  assert.equal(refused?.error?.code, 'RESTORE_UNEXPECTED_OBJECTS', JSON.stringify(refused?.error));
  for (const key of [
    'operator class app.late_ops',
    'operator family app.late_fam',
    'text search parser app.late_parser',
    'text search template app.late_tmpl',
    'CAST (app.mood AS text)',
    'foreign data wrapper late_fdw',
    'server late_srv',
    'server late_srv2',
    'USER MAPPING public SERVER kept_srv',
  ]) {
    assert.ok(refused?.error?.message.includes(key), `${key} in: ${refused?.error?.message}`);
  }
  assert.doesNotMatch(
    refused?.error?.message ?? '',
    /kept_fdw|server kept_srv/,
    'what the backup holds is not extra',
  );

  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(moreDb, MORE_EXTRAS), [
    { opclass: 0, opfamily: 0, parser: 0, tmpl: 0, casts: 0, fdw: 0, servers: 0, mappings: 0 },
  ]);
  assert.deepEqual(
    await queryDatabase(
      moreDb,
      `select (select count(*)::int from app.items) as items,
         (select count(*)::int from pg_foreign_server where srvname = 'kept_srv') as kept`,
    ),
    [{ items: 1, kept: 1 }],
  );
});
