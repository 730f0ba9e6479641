// A DDL-audit event trigger and a materialized view, both common, in one tenant. pg_restore creates the
// event triggers before it refreshes the views, so the refresh fired the trigger under pg_restore's
// empty search_path (`relation "audit_log" does not exist`): the tenant could be neither deep-verified
// nor restored. And the deep verify's own CREATE EXTENSION amcheck fired it in the scratch copy, whose
// audit log then held rows the backup did not: FINGERPRINT_MISMATCH on a good backup.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

const prefix = uniquePrefix('evtrig');
const db = `${prefix}_db`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-evtrig-'));
const backupDir = join(root, 'backups');

before(() => createDatabases([db]));
after(async () => {
  await dropDatabases(prefix);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  rmSync(root, { recursive: true, force: true });
});

const state = `select (select string_agg(tag, ',' order by id) from audit_log) as audit,
  (select count(*)::int from items) as items, (select n::int from item_count) as counted`;

test('a tenant with a DDL-audit event trigger and a materialized view deep-verifies and restores', async () => {
  const t = postgresTenant('acme', db);
  await queryDatabase(
    db,
    `create table audit_log (id serial primary key, tag text);
     create function log_ddl() returns event_trigger language plpgsql as $$
       begin insert into audit_log (tag) values (tg_tag); end $$;
     create event trigger log_ddl on ddl_command_end execute function log_ddl();
     create table items (id int primary key); insert into items select generate_series(1, 5);
     create materialized view item_count as select count(*) as n from items;`,
  );
  const before = await queryDatabase(db, state);
  const report = await backup({ tenants: [t], backupDir, verify: 'deep', fingerprintLevel: 'full' });
  const [result] = report.tenants;
  assert.equal(result?.status, 'succeeded', JSON.stringify(result?.error));
  assert.equal(result?.details.backup?.verified, 'deep');

  await queryDatabase(db, 'insert into items values (6)');
  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true })).tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(db, state), before);
});
