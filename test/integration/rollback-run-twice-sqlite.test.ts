// `rollback --run <id>` run a second time rolled the run's tenants back again: with `--with down` it ran
// the downs of migrations no longer applied (a failure, or — once a later upgrade had applied them again —
// a down that dropped the users' new data), and with restore it put the pre-upgrade backup back over
// what was written since. A tenant an earlier rollback of the run rolled back is now left alone, reported
// succeeded with nothing done; and a down runs only for a migration the tenant has applied.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { validateInventory } from '../../src/inventory/validate.js';
import { Journal } from '../../src/journal/journal.js';
import { upgradeRollbacks } from '../../src/journal/rollbacks.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { queuedRollbackTask } from '../../src/upgrade/queued-rollback.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { writeRollbackTwiceMigrations } from '../helpers/rollback-twice-migrations.js';
import { tenantContext } from '../helpers/sqlite-backup-ctx.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-twice-'));
after(() => rmSync(root, { recursive: true, force: true }));

function fixture(label: string) {
  const dir = join(root, label);
  const migrations = writeRollbackTwiceMigrations(dir);
  const file = join(dir, 'acme.sqlite');
  const db = new Database(file);
  db.exec(
    "create table customers (id integer primary key, name text); insert into customers (name) values ('a')",
  );
  db.close();
  const tenants = validateInventory([{ id: 'acme', dialect: 'sqlite', connection: file }], 'test');
  const journal = join(dir, 'journal.db');
  const setup = { tenants, migrations, backupDir: join(dir, 'backups'), journal };
  return { tenants, journal, setup, exec: (sql: string) => sqlite(file, sql) };
}

function sqlite(file: string, sql: string): unknown[] {
  const db = new Database(file);
  try {
    return /^\s*select/i.test(sql) ? db.prepare(sql).all() : (db.exec(sql), []);
  } finally {
    db.close();
  }
}

async function upgraded(f: ReturnType<typeof fixture>) {
  const prepared = await prepareUpgrade(f.setup);
  const up = await upgrade({ ...prepared, tenants: f.tenants, concurrency: 1 });
  assert.equal(up.ok, true, JSON.stringify(up.tenants));
  return { prepared, runId: up.runId! };
}

async function rolledBack(
  f: ReturnType<typeof fixture>,
  prepared: Awaited<ReturnType<typeof prepareUpgrade>>,
  run: string,
  how: 'down' | 'restore',
) {
  const report = await rollbackRun({
    ...prepared,
    tenants: f.tenants,
    journal: f.journal,
    run,
    with: how,
    concurrency: 1,
  });
  return { report, acme: report.tenants[0]! };
}

const details = (r: { details: unknown }) => r.details as { applied: string[]; alreadyRolledBack?: string };
const tableNames = (f: ReturnType<typeof fixture>) =>
  (
    f.exec(
      "select name from sqlite_master where type = 'table' and name not like 'knex_%' and name not like 'dbfleet_%' and name not like 'sqlite_%' order by name",
    ) as { name: string }[]
  ).map((r) => r.name);

describe('rollback --run of the same upgrade run, a second time', () => {
  it('--with down: nothing is run again; reported succeeded, naming the rollback that did it', async () => {
    const f = fixture('down-twice');
    const { prepared, runId } = await upgraded(f);
    const first = await rolledBack(f, prepared, runId, 'down');
    assert.equal(first.acme.status, 'succeeded', JSON.stringify(first.acme.error));
    assert.deepEqual(details(first.acme).applied, ['002_notes.js', '001_orders.js']);

    const second = await rolledBack(f, prepared, runId, 'down');
    assert.equal(second.acme.status, 'succeeded', JSON.stringify(second.acme.error));
    assert.deepEqual(details(second.acme).applied, []);
    assert.equal(details(second.acme).alreadyRolledBack, first.report.runId);
    assert.equal(second.report.ok, true);
    assert.deepEqual(tableNames(f), ['customers']);
    // A third names the rollback that did it, not the one that found it done.
    const third = await rolledBack(f, prepared, runId, 'down');
    assert.equal(details(third.acme).alreadyRolledBack, first.report.runId);
  });

  it('--with down after a later upgrade applied the migrations again: their data stays', async () => {
    const f = fixture('down-after-reupgrade');
    const { prepared, runId } = await upgraded(f);
    assert.equal((await rolledBack(f, prepared, runId, 'down')).acme.status, 'succeeded');
    await upgraded(f); // the release goes out again, and users write into it
    f.exec("insert into notes (body) values ('written since'); insert into orders default values");

    const again = await rolledBack(f, prepared, runId, 'down');
    assert.equal(again.acme.status, 'succeeded', JSON.stringify(again.acme.error));
    assert.deepEqual(details(again.acme).applied, []);
    assert.deepEqual(f.exec('select body from notes'), [{ body: 'written since' }]);
    assert.deepEqual(f.exec('select count(*) as n from orders'), [{ n: 1 }]);
  });

  it('--with down after one that stopped half-way: only the down of what is still applied runs', async () => {
    const f = fixture('down-half-way');
    const { prepared, runId } = await upgraded(f);
    f.exec('create table fail_down (x int)');
    const first = await rolledBack(f, prepared, runId, 'down');
    assert.equal(first.acme.status, 'failed');
    assert.match(first.acme.error?.message ?? '', /told to fail/);
    // 002's down ran, 001's failed: the report says what was reverted, not what was planned.
    assert.deepEqual(details(first.acme).applied, ['002_notes.js']);
    f.exec('drop table fail_down');

    const second = await rolledBack(f, prepared, runId, 'down');
    assert.equal(second.acme.status, 'succeeded', JSON.stringify(second.acme.error));
    assert.deepEqual(details(second.acme).applied, ['001_orders.js']);
    assert.equal(details(second.acme).alreadyRolledBack, undefined);
    assert.deepEqual(tableNames(f), ['customers']);
  });

  it('restore: the backup is not put back over what was written since the first rollback', async () => {
    const f = fixture('restore-twice');
    const { prepared, runId } = await upgraded(f);
    const first = await rolledBack(f, prepared, runId, 'restore');
    assert.equal(first.acme.status, 'succeeded', JSON.stringify(first.acme.error));
    f.exec("insert into customers (name) values ('since the rollback')");

    const second = await rolledBack(f, prepared, runId, 'restore');
    assert.equal(second.acme.status, 'succeeded', JSON.stringify(second.acme.error));
    assert.equal(details(second.acme).alreadyRolledBack, first.report.runId);
    assert.deepEqual(f.exec('select name from customers order by id'), [
      { name: 'a' },
      { name: 'since the rollback' },
    ]);
    // Nor do downs run on a tenant the restore rolled back.
    const down = await rolledBack(f, prepared, runId, 'down');
    assert.equal(down.acme.status, 'succeeded', JSON.stringify(down.acme.error));
    assert.deepEqual(details(down.acme).applied, []);
  });

  it('a queue worker of a second rollback leaves the tenant alone too', async () => {
    const f = fixture('queued');
    const { prepared, runId } = await upgraded(f);
    const first = await rolledBack(f, prepared, runId, 'down');
    assert.equal(first.acme.status, 'succeeded', JSON.stringify(first.acme.error));
    // What `rollback --run --queue` journals for its workers; the worker reads it back.
    const journal = await Journal.open(f.journal);
    const c = tenantContext(f.tenants[0]!);
    try {
      journal.planRun('rollback-2', 'rollback', { run: runId, with: 'down', reopen: false }, [
        { id: 'acme', host: f.tenants[0]!.host },
      ]);
      await journal.flush();
      const task = await queuedRollbackTask(f.setup, journal, 'rollback-2');
      const outcome = await task(c.ctx);
      assert.equal(outcome.error, undefined, JSON.stringify(outcome.error));
      assert.deepEqual(outcome.details.applied, []);
      assert.equal(outcome.details.alreadyRolledBack, first.report.runId);
    } finally {
      await c.close();
      await journal.close();
    }
  });
});

// A rollback whose afterTenant hook (--reopen) failed after the restore was journaled as a failed
// rollback: the tenant was restored, but the journal did not know it — a second `rollback --run` put the
// backup back again over what was written since, the report did not say the run was undone, and
// `restore` (latest) took the undone run's post-upgrade backup. The reopen is now a step of its own.
describe('rollback --run whose reopen failed after the restore', () => {
  it('counts as rolled back: a second one only reopens, and the journal says the run was undone', async () => {
    const f = fixture('reopen-fails');
    const { prepared, runId } = await upgraded(f);
    const reopen = async () =>
      (
        await rollbackRun({
          ...prepared,
          tenants: f.tenants,
          journal: f.journal,
          run: runId,
          with: 'restore',
          concurrency: 1,
          reopen: true,
          hooks: { afterTenant: "insert into reopened (at) values ('now')" },
        })
      ).tenants[0]!;
    const first = await reopen();
    assert.equal(first.status, 'failed');
    assert.equal(first.error?.code, 'HOOK_FAILED', JSON.stringify(first.error));
    assert.match(first.error?.message ?? '', /the rollback before it succeeded/);
    assert.deepEqual(tableNames(f), ['customers'], 'the pre-upgrade backup was restored');
    const journal = await Journal.open(f.journal);
    try {
      const undone = await upgradeRollbacks(journal.knex, { upgradeRun: runId });
      assert.deepEqual(
        undone.map((r) => r.tenantId),
        ['acme'],
      );
    } finally {
      await journal.close();
    }

    f.exec("create table reopened (at text); insert into customers (name) values ('since the rollback')");
    const second = await reopen();
    assert.equal(second.status, 'succeeded', JSON.stringify(second.error));
    assert.ok(details(second).alreadyRolledBack, 'found rolled back already');
    assert.deepEqual(f.exec('select name from customers order by id'), [
      { name: 'a' },
      { name: 'since the rollback' },
    ]);
    assert.deepEqual(f.exec('select at from reopened'), [{ at: 'now' }], 'reopened, once');
  });
});
