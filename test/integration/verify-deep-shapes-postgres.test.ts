// Shapes real tenant databases have that a deep verify and drift must take as they are:
// - a partitioned table with a primary key: its partitioned indexes have no storage, and amcheck's
//   bt_index_check refused them, so every such tenant failed INTEGRITY_FAILED on a good backup;
// - database-level output settings (ALTER DATABASE … SET timezone / DateStyle / IntervalStyle), which
//   pg_dump does not carry: the scratch copy printed rows and partition bounds under the server's
//   defaults, and a good backup failed FINGERPRINT_MISMATCH; drift told two tenants of one structure
//   apart by their DateStyle.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backup, drift, type Tenant, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('vdshapes');
const PARTITIONED = `${prefix}_part`;
const LOCAL = `${prefix}_local`;
const PLAIN = `${prefix}_plain`;
let root: string;

const tenantOf = (db: string): Tenant =>
  validateInventory([{ id: db, dialect: 'postgres', connection: pgUrl(db) }], 'test')[0] as Tenant;

const TIMES = `
  create table events (id int, at timestamptz not null, day date, took interval, primary key (id, at))
    partition by range (at);
  create table events_2024 partition of events
    for values from ('2024-01-01 00:00+00') to ('2025-01-01 00:00+00');
  create table daily (day date not null default '2024-03-04', n int) partition by range (day);
  create table daily_2024 partition of daily for values from ('2024-01-01') to ('2025-01-01');
  insert into events values (1, '2024-05-05 10:00:00.123+00', '2024-05-05', '1 day 02:03:04');
  insert into daily (n) values (1);`;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'dbfleet-vdshapes-'));
  await createDatabases([PARTITIONED, LOCAL, PLAIN]);
  await queryDatabase(
    PARTITIONED,
    `create table orders (id int, at date not null, kind text not null, primary key (id, at, kind))
       partition by range (at);
     create table orders_2024 partition of orders for values from ('2024-01-01') to ('2025-01-01')
       partition by list (kind);
     create table orders_2024_a partition of orders_2024 for values in ('a');
     create table orders_2024_rest partition of orders_2024 default;
     create table orders_rest partition of orders default;
     create unique index orders_kind_key on orders (kind, id, at);
     insert into orders select g, date '2024-01-01' + g % 400, case when g % 2 = 0 then 'a' else 'b' end
       from generate_series(1, 300) g;`,
  );
  for (const db of [LOCAL, PLAIN]) await queryDatabase(db, TIMES);
  await queryDatabase(
    LOCAL,
    `alter database "${LOCAL}" set timezone = 'Asia/Tokyo';
     alter database "${LOCAL}" set datestyle = 'SQL, DMY';
     alter database "${LOCAL}" set intervalstyle = 'iso_8601';`,
  );
});

after(async () => {
  await dropDatabases(prefix);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('deep verify of PostgreSQL tenant shapes', () => {
  it('a partitioned table with a primary key and sub-partitions deep-verifies', async () => {
    const report = await backup({
      tenants: [tenantOf(PARTITIONED)],
      backupDir: join(root, 'part'),
      verify: 'deep',
    });
    const [result] = report.tenants;
    assert.equal(result?.status, 'succeeded', JSON.stringify(result?.error));
    assert.equal(result?.details.backup?.verified, 'deep');
  });

  for (const fingerprintLevel of ['schema', 'full'] as const) {
    it(`a database with its own time zone and DateStyle deep-verifies (${fingerprintLevel} fingerprint)`, async () => {
      const report = await backup({
        tenants: [tenantOf(LOCAL)],
        backupDir: join(root, `local-${fingerprintLevel}`),
        verify: 'deep',
        fingerprintLevel,
      });
      const [result] = report.tenants;
      assert.equal(result?.status, 'succeeded', JSON.stringify(result?.error));
      assert.equal(result?.details.backup?.verified, 'deep');
    });
  }

  it('drift does not tell tenants apart by their databases’ DateStyle or time zone', async () => {
    const report = await drift({ tenants: [tenantOf(PLAIN), tenantOf(LOCAL)] });
    const local = report.tenants.find((t) => t.id === LOCAL);
    assert.equal(local?.status, 'succeeded', JSON.stringify(local?.error));
    assert.deepEqual(local?.details.differences, [], JSON.stringify(local?.details.differences));
  });
});
