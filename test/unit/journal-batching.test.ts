// The journal drains its queue in batches (one transaction each): every event still lands, in order, and
// a failed batch is reported by flush() instead of being lost silently.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { Journal } from '../../src/journal/journal.js';
import { runTenants } from '../../src/journal/read.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a burst of events from 300 tenants is journaled whole, each tenant with its last state', async () => {
  const journal = await Journal.open(join(dir, 'burst.db'));
  try {
    const tenants = Array.from({ length: 300 }, (_, i) => ({ id: `t${i}`, host: 'postgres://db1:5432' }));
    journal.planRun('run-1', 'migrate', {}, tenants);
    // The journal runs its statements on the better-sqlite3 handle itself: count the BEGINs there.
    let batches = 0;
    const statement = Object.getPrototypeOf(new Database(':memory:').prepare('select 1')) as {
      run: (...args: unknown[]) => unknown;
    };
    const run = statement.run;
    statement.run = function (this: { source: string }, ...args: unknown[]) {
      if (/^begin/i.test(this.source)) batches++;
      return run.apply(this, args);
    };
    after(() => {
      statement.run = run;
    });
    const at = Date.now();
    for (const t of tenants) {
      journal.onEvent({ type: 'tenant:start', tenantId: t.id, host: t.host, at });
      journal.onEvent({
        type: 'tenant:done',
        tenantId: t.id,
        result: { id: t.id, status: t.id === 't7' ? 'failed' : 'succeeded', durationMs: 3, details: {} },
      });
    }
    await journal.flush();
    const rows = await runTenants(journal.knex, 'run-1');
    assert.equal(rows.length, 300);
    assert.deepEqual(
      rows.filter((r) => r.status !== 'succeeded').map((r) => [r.tenantId, r.status]),
      [['t7', 'failed']],
    );
    // 601 writes queued at once went out in a handful of transactions, not one each.
    assert.ok(batches >= 1 && batches < 10, `${batches} transactions`);
  } finally {
    await journal.close();
  }
});

test('a write that fails makes flush() and close() reject: the run cannot go on without its journal', async () => {
  const journal = await Journal.open(join(dir, 'broken.db'));
  journal.planRun('run-2', 'migrate', {}, [{ id: 'a', host: 'h' }]);
  await journal.flush();
  await journal.knex.schema.dropTable('dbfleet_run_tenants');
  journal.onEvent({ type: 'tenant:start', tenantId: 'a', host: 'h', at: Date.now() });
  await assert.rejects(journal.flush(), /dbfleet_run_tenants/);
  await assert.rejects(journal.close(), /dbfleet_run_tenants/);
});
