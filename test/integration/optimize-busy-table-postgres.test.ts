// A CREATE INDEX CONCURRENTLY that times out behind an open transaction has already made its INVALID
// index, and dropping that leftover waits for the same transaction, so the drop times out too. The retry
// then ran CREATE again and failed "relation … already exists": the tenant failed OPTIMIZATION_FAILED
// with a message that hid the busy table, and the LOCK_TIMEOUT message promised nothing was left behind.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { validateInventory } from '../../src/inventory/validate.js';
import { optimize } from '../../src/optimization/fleet.js';
import type { Optimization, OptimizationOutcome } from '../../src/optimization/types.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('optimize_busy');
const database = `${prefix}_db`;
const tenants = validateInventory(
  [{ id: 'busy-tenant', dialect: 'postgres', connection: pgUrl(database) }],
  'test',
);

const index: Optimization = {
  kind: 'index',
  name: 'orders_total_idx',
  table: 'orders',
  columns: ['total'],
  lockTimeoutMs: 200,
  retries: 2,
  retryDelayMs: 10,
};

async function indexValidity(): Promise<boolean[]> {
  const rows = await queryDatabase<{ valid: boolean }>(
    database,
    "select x.indisvalid as valid from pg_class i join pg_index x on x.indexrelid = i.oid where i.relname = 'orders_total_idx'",
  );
  return rows.map((r) => r.valid);
}

before(async () => {
  await dropDatabases(prefix);
  await createDatabases([database]);
  await queryDatabase(
    database,
    'create table orders (id serial primary key, total int); insert into orders (total) select g from generate_series(1, 1000) g',
  );
});

after(async () => {
  await dropDatabases(prefix);
});

describe('an index build behind an open transaction (PostgreSQL)', () => {
  test('fails LOCK_TIMEOUT naming its INVALID leftover, and the next run heals it', async () => {
    // An application's transaction that wrote to the table and stays open (a stuck request).
    const holder = new pg.Client({ connectionString: pgUrl(database) });
    await holder.connect();
    let tenant: Awaited<ReturnType<typeof optimize>>['tenants'][number];
    try {
      await holder.query('begin');
      await holder.query('insert into orders (total) values (1)');
      const report = await optimize({ tenants, optimizations: [index] });
      tenant = report.tenants[0]!;
      // The leftover exists while the transaction is open: the message must not say otherwise.
      assert.deepEqual(await indexValidity(), [false]);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'LOCK_TIMEOUT', tenant.error?.message);
    assert.match(tenant.error!.message, /orders_total_idx.*"orders".*200ms, 3 attempts/);
    assert.match(tenant.error!.message, /left INVALID.*next run drops it and builds again/);
    assert.doesNotMatch(tenant.error!.message, /already exists|nothing was left behind/);

    const rerun = await optimize({ tenants, optimizations: [index] });
    assert.equal(rerun.tenants[0]!.status, 'succeeded', rerun.tenants[0]!.error?.message);
    const outcomes = rerun.tenants[0]!.details.optimizations as OptimizationOutcome[];
    assert.deepEqual(outcomes, [{ name: 'orders_total_idx', action: 'healed' }]);
    assert.deepEqual(await indexValidity(), [true]);
  });
});
