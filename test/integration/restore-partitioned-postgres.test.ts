import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup, restoreTenant } from '../../src/backup/index.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

// pg_restore --clean drops a partition's key before its partitioned parent's, which the server refuses
// (`cannot drop inherited constraint`): every in-place restore of a tenant with a keyed partitioned
// table failed RESTORE_FAILED — an upgrade's rollback of it too, after the objects the migration had
// made were dropped. The listing is reordered so the parent's key goes first (toc-partition-order.ts).
const prefix = uniquePrefix('rpart');
const db = `${prefix}_db`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rpart-'));
const backupDir = join(root, 'backups');

before(() => createDatabases([db]));
after(async () => {
  await dropDatabases(prefix);
  rmSync(root, { recursive: true, force: true });
});

const state = `select (select count(*)::int from events) as n, (select count(*)::int from events_2024_a) as a,
  (select string_agg(indexrelid::regclass::text || ':' || indisvalid, ',' order by indexrelid::regclass::text)
     from pg_index i join pg_class c on c.oid = i.indrelid where c.relname like 'events%') as indexes,
  (select count(*)::int from pg_class where relname = 'events_2031') as added`;

test('a tenant with keyed, indexed, sub-partitioned tables is restored in place', async () => {
  const t = postgresTenant('acme', db);
  await queryDatabase(
    db,
    `create table events (id int, at date not null, kind text not null, primary key (id, at, kind))
       partition by range (at);
     create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01')
       partition by list (kind);
     create table events_2024_a partition of events_2024 for values in ('a');
     create table events_2024_rest partition of events_2024 default;
     create table events_rest partition of events default;
     create index events_kind_idx on events (kind);
     create unique index events_kind_key on events (kind, id, at);
     create table refs (id int primary key, event int, at date, kind text,
       foreign key (event, at, kind) references events);
     insert into events select g, date '2024-01-01' + g % 500, case when g % 2 = 0 then 'a' else 'b' end
       from generate_series(1, 300) g;
     insert into refs values (1, 2, date '2024-01-03', 'a');`,
  );
  const before = await queryDatabase(db, state);
  assert.equal((await backup({ tenants: [t], backupDir })).summary.failed, 0);
  await queryDatabase(
    db,
    `delete from events where id > 250;
     create table events_2031 partition of events for values from ('2031-01-01') to ('2032-01-01');`,
  );

  const restored = (await restoreTenant({ tenant: t, backupDir, yes: true, dropUnexpected: true }))
    .tenants[0];
  assert.equal(restored?.status, 'succeeded', JSON.stringify(restored?.error));
  assert.deepEqual(await queryDatabase(db, state), before);
  assert.equal((before[0] as { n: number }).n, 300);
});
