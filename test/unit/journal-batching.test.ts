// The journal drains its queue in batches (one transaction each): every event still lands, in order, and
// a failed batch is reported by flush() instead of being lost silently.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { Journal } from '../../src/journal/journal.js';
import { runSteps, runTenants } from '../../src/journal/read.js';

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
  // A write queued after the failure starts a drain that has nothing to do: flush() must still answer
  // (it spun on a settled drain forever, the process at 100% CPU, when the drain ended before it was kept).
  journal.onEvent({ type: 'tenant:start', tenantId: 'a', host: 'h', at: Date.now() });
  const answered = await Promise.race([
    journal.flush().then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((resolve) => setTimeout(() => resolve('still spinning'), 2000)),
  ]);
  assert.equal(answered, 'rejected');
  await assert.rejects(journal.close(), /dbfleet_run_tenants/);
});

// The step and maintenance writes are hand-written SQL now: a step's end closes its newest running row,
// an end without a start still gets a row, and the maintenance window opens and closes on the tenant.
test('steps: the end closes the newest running row; an end without a start gets a row; the window is kept', async () => {
  const journal = await Journal.open(join(dir, 'steps.db'));
  try {
    journal.planRun('run-3', 'upgrade', {}, [{ id: 'a', host: 'h' }]);
    journal.onEvent({ type: 'step:start', tenantId: 'a', step: 'before-tenant', at: 1000 });
    journal.onEvent({ type: 'step:start', tenantId: 'a', step: 'migrate', at: 2000 });
    journal.onEvent({ type: 'step:start', tenantId: 'a', step: 'migrate', at: 3000 });
    journal.onEvent({
      type: 'step:done',
      tenantId: 'a',
      step: 'migrate',
      status: 'failed',
      durationMs: 50,
      error: { code: 'MIGRATION_FAILED', message: 'password=hunter2 rejected' },
      data: { applied: ['001'] },
    });
    journal.onEvent({
      type: 'step:done',
      tenantId: 'a',
      step: 'verify',
      status: 'succeeded',
      durationMs: 40,
    });
    journal.onEvent({
      type: 'step:done',
      tenantId: 'a',
      step: 'after-tenant',
      status: 'succeeded',
      durationMs: 5,
    });
    await journal.flush();
    const steps = await runSteps(journal.knex, 'run-3');
    const summary = steps.map((s) => [s.step, s.startedAt, s.status, s.error?.code ?? null]);
    assert.deepEqual(summary.slice(0, 3), [
      ['before-tenant', 1000, 'running', null],
      ['migrate', 2000, 'running', null],
      ['migrate', 3000, 'failed', 'MIGRATION_FAILED'],
    ]);
    assert.equal(steps[2]!.error?.message.includes('hunter2'), false, 'the error is redacted');
    assert.deepEqual(steps[2]!.data, { applied: ['001'] });
    const verify = steps.find((s) => s.step === 'verify')!;
    assert.equal(verify.status, 'succeeded');
    assert.equal(
      verify.startedAt,
      verify.finishedAt! - 40,
      'an end without a start is back-dated by its duration',
    );
    const [tenant] = await runTenants(journal.knex, 'run-3');
    assert.equal(tenant!.maintenanceStartedAt, 1000);
    assert.ok(tenant!.maintenanceEndedAt! >= 1000);
  } finally {
    await journal.close();
  }
});

// A batch the database refused is dropped (it would fail again), and flush() is to say so. But every later
// write starts a drain that forgot the failure: once a later batch committed, the run's final flush
// resolved, and a run whose planRun batch was refused (two runs on one SQLite journal, each waiting out
// the other's lock) was reported journaled while the journal had no row of it.
test('a refused batch makes the next flush() reject even when later batches were stored', async () => {
  const journal = await Journal.open(join(dir, 'refused.db'));
  try {
    await journal.knex.raw(
      "create trigger refuse_run before insert on dbfleet_runs when new.run_id = 'run-3' begin select raise(abort, 'run-3 refused'); end",
    );
    journal.planRun('run-3', 'migrate', {}, [{ id: 'a', host: 'h' }]);
    // Let that batch be tried (and refused) without a flush, as during a run…
    await journal.read(async () => undefined);
    // …then the run goes on: its next event's batch is stored.
    journal.onEvent({ type: 'tenant:start', tenantId: 'a', host: 'h', at: Date.now() });
    await assert.rejects(journal.flush(), /run-3 refused/);
    // Said once: the writes after it were stored, and the next flush has nothing to report.
    await journal.flush();
  } finally {
    await journal.close().catch(() => {});
  }
});
