// A custom optimization (or a hook) that begins a transaction and never ends it left the tenant's
// connection inside it: the smoke checks then read its uncommitted rows, and the post-upgrade backup
// failed "SET TRANSACTION ISOLATION LEVEL must be called before any query" — a step and a cause that named
// neither. The transaction is now rolled back as soon as the user code returns, and that step fails
// TRANSACTION_LEFT_OPEN naming it; the next step starts on a clean connection.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { optimize } from '../../src/optimization/fleet.js';
import type { Optimization } from '../../src/optimization/types.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { createDatabases, dropDatabases, queryDatabase, uniquePrefix } from '../helpers/postgres.js';
import { postgresTenant } from '../helpers/postgres-tenant.js';

const prefix = uniquePrefix('stray');
const pgDb = `${prefix}_t`;
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-stray-'));
const sqliteFile = join(dir, 'acme.sqlite');

before(async () => {
  await createDatabases([pgDb]);
  await queryDatabase(
    pgDb,
    'create table items (id int primary key); insert into items select generate_series(1, 10)',
  );
  const db = new Database(sqliteFile);
  db.exec('create table items (id integer primary key); insert into items (id) values (1), (2), (3), (4)');
  db.close();
});
after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

const pgTenant = (): Tenant => postgresTenant('pg', pgDb);
const sqliteTenant = () =>
  validateInventory([{ id: 'lite', dialect: 'sqlite', connection: sqliteFile }], 'test')[0]!;

// Begins, deletes the even rows, never commits; the analyze after it runs on the same connection.
const leavesItOpen: Optimization[] = [
  {
    kind: 'custom',
    name: 'half_done',
    run: async (knex) => {
      await knex.raw('begin');
      await knex.raw('delete from items where id % 2 = 0');
    },
  },
  { kind: 'analyze', name: 'stats' },
];

describe('a custom optimization that leaves a transaction open', () => {
  for (const [dialect, tenantOf, count] of [
    [
      'postgres',
      pgTenant,
      async () => (await queryDatabase<{ n: number }>(pgDb, 'select count(*)::int as n from items'))[0]?.n,
    ],
    [
      'sqlite',
      sqliteTenant,
      async () => {
        const db = new Database(sqliteFile, { readonly: true });
        try {
          return (db.prepare('select count(*) as n from items').get() as { n: number }).n;
        } finally {
          db.close();
        }
      },
    ],
  ] as const) {
    it(`${dialect}: fails TRANSACTION_LEFT_OPEN naming it, rolled back; the next optimization still runs`, async () => {
      const before = await count();
      const report = await optimize({ tenants: [tenantOf()], optimizations: leavesItOpen });
      const tenant = report.tenants[0];
      assert.equal(tenant?.status, 'failed');
      assert.equal(tenant?.error?.code, 'TRANSACTION_LEFT_OPEN', JSON.stringify(tenant?.error));
      assert.match(tenant?.error?.message ?? '', /custom optimization "half_done" left a transaction open/);
      const outcomes = tenant?.details.optimizations as { name: string; action?: string; error?: unknown }[];
      assert.equal(outcomes.find((o) => o.name === 'stats')?.error, undefined, JSON.stringify(outcomes));
      assert.equal(await count(), before, 'the uncommitted delete was rolled back');
    });
  }
});

// A beforeTenant function hook that begins and never commits: the pre-upgrade backup ran inside its
// transaction. Now the hook's step fails, naming it, before anything is backed up or migrated.
it('sqlite: a beforeTenant hook that leaves a transaction open fails its step, nothing backed up or migrated', async () => {
  const migrations = join(dir, 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(
    join(migrations, '001_notes.js'),
    "exports.up = (knex) => knex.schema.createTable('notes', (t) => t.increments('id'));\nexports.down = (knex) => knex.schema.dropTable('notes');\n",
  );
  const tenants = [sqliteTenant()];
  const prepared = await prepareUpgrade({
    tenants,
    migrations,
    backupDir: join(dir, 'backups'),
    journal: join(dir, 'journal.db'),
    hooks: {
      beforeTenant: async (knex: import('knex').Knex) => {
        await knex.raw('begin');
        await knex.raw('delete from items');
      },
    },
  });
  const report = await upgrade({ ...prepared, tenants, concurrency: 1 });
  const tenant = report.tenants[0];
  assert.equal(tenant?.error?.code, 'TRANSACTION_LEFT_OPEN', JSON.stringify(tenant?.error));
  assert.match(tenant?.error?.message ?? '', /^before-tenant: the hook left a transaction open/);
  const db = new Database(sqliteFile, { readonly: true });
  try {
    assert.equal((db.prepare('select count(*) as n from items').get() as { n: number }).n, 4);
    assert.equal(db.prepare("select 1 from sqlite_master where name = 'notes'").get(), undefined);
  } finally {
    db.close();
  }
});

// A smoke check that begins and never ends: the checks step fails naming it, and the tenant is rolled
// back from its pre-upgrade backup (the migration made `notes2`; it is gone again).
it('sqlite: a smoke check that leaves a transaction open fails the checks step, and the tenant is rolled back', async () => {
  const migrations = join(dir, 'migrations-checks');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(
    join(migrations, '001_notes2.js'),
    "exports.up = (knex) => knex.schema.createTable('notes2', (t) => t.increments('id'));\nexports.down = (knex) => knex.schema.dropTable('notes2');\n",
  );
  const tenants = [sqliteTenant()];
  const prepared = await prepareUpgrade({
    tenants,
    migrations,
    backupDir: join(dir, 'backups-checks'),
    journal: join(dir, 'journal-checks.db'),
    checks: [
      {
        name: 'opens_one',
        run: async (knex: import('knex').Knex) => {
          await knex.raw('begin');
          return true;
        },
      },
    ],
  });
  const tenant = (await upgrade({ ...prepared, tenants, concurrency: 1 })).tenants[0];
  assert.equal(tenant?.error?.code, 'TRANSACTION_LEFT_OPEN', JSON.stringify(tenant?.error));
  assert.match(tenant?.error?.message ?? '', /^checks: a smoke check left a transaction open/);
  const db = new Database(sqliteFile, { readonly: true });
  try {
    assert.equal(db.prepare("select 1 from sqlite_master where name = 'notes2'").get(), undefined);
  } finally {
    db.close();
  }
});
