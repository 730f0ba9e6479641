// The idle bound (src/migration/idle-bound.ts) tells a query in flight by the `__knexQueryUid` knex puts on
// its `query` event and on the `query-response` / `query-error` of the same query, and it listens on the
// session's knex while a migration's transaction runs its queries. This pins both in knex 3.3.0: a single
// query that outlasts the bound, at the top level and inside a transaction, is in flight, not idle — and a
// failing one is no longer in flight once it failed. Without the uid, each would trip the bound mid-query.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import knexFactory from 'knex';
import { boundIdleTime } from '../../src/migration/idle-bound.js';
import { PG_ADMIN_URL } from '../helpers/postgres.js';

const knex = knexFactory({ client: 'pg', connection: PG_ADMIN_URL, pool: { min: 0, max: 1 } });
after(() => knex.destroy());

function bounded<T>(work: (k: typeof knex) => Promise<T>) {
  let closed = false;
  const bound = boundIdleTime(knex, 400, true, async () => {
    closed = true;
  });
  return {
    done: bound.race(work(knex)).finally(() => bound.stop()),
    tripped: () => bound.tripped,
    closed: () => closed,
  };
}

describe("knex 3.3.0's query events, as the idle bound reads them", () => {
  it('a query longer than the bound is in flight, not idle', async () => {
    const run = bounded((k) => k.raw('select pg_sleep(1.2)'));
    await run.done;
    assert.equal(run.tripped(), undefined);
    assert.equal(run.closed(), false);
  });

  it("a transaction's query reaches the root knex's listeners the same way", async () => {
    const run = bounded((k) => k.transaction((trx) => trx.raw('select pg_sleep(1.2)')));
    await run.done;
    assert.equal(run.tripped(), undefined);
  });

  it('a query that failed is no longer in flight: idle after it, the bound trips', async () => {
    const run = bounded(async (k) => {
      await k.raw('select 1/0').catch(() => {});
      await new Promise(() => {});
    });
    await assert.rejects(run.done, { code: 'STATEMENT_TIMEOUT' });
    assert.equal(run.closed(), true);
  });
});
