// upgrade()'s wave orchestration with in-memory operations and a real (temporary SQLite) journal: the
// canary gate, the failure budget, --on-failure stop, interrupt + resume. The tenants are empty SQLite
// files: only the (empty) smoke-check step opens them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { budgetHint } from '../../src/cli/render/next-steps.js';
import { TenantError } from '../../src/core/errors.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { Fingerprint } from '../../src/dialect/backup-types.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { Journal } from '../../src/journal/journal.js';
import { findRun, runSteps, runTenants } from '../../src/journal/read.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import type { UpgradeOperations } from '../../src/upgrade/types.js';
import { type UpgradeOptions, upgrade } from '../../src/upgrade/upgrade.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-upgrade-run-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let journals = 0;
const journalPath = () => join(dir, `journal-${++journals}.db`);

function fleet(n: number, canaries: number[] = []): Tenant[] {
  return Array.from({ length: n }, (_, i) => {
    const id = `t${String(i).padStart(2, '0')}`;
    writeFileSync(join(dir, `${id}.sqlite`), '');
    return {
      id,
      dialect: 'sqlite' as const,
      connection: { filename: join(dir, `${id}.sqlite`) },
      host: 'local',
      database: join(dir, `${id}.sqlite`),
      tags: canaries.includes(i) ? ['canary'] : [],
    };
  });
}

const fingerprintOf = (label: string): Fingerprint => ({
  level: 'schema',
  schemaHash: label,
  objects: {},
  tables: {},
});

/** Operations that "upgrade" a tenant in memory; `failing` tenants fail their migration. */
function fakeOps(failing: string[] = [], onMigrate?: (id: string) => Promise<void> | void) {
  const migrated: string[] = [];
  const restored: string[] = [];
  const backups: string[] = [];
  const ops: UpgradeOperations = {
    async backup(ctx, label) {
      backups.push(`${ctx.tenant.id}:${label}`);
      return {
        path: `/b/${ctx.tenant.id}/${label}.dump`,
        bytes: 1,
        sha256: 'x',
        fingerprint: fingerprintOf(label),
      };
    },
    async verify() {
      return { verified: 'light' };
    },
    async migrate(ctx) {
      migrated.push(ctx.tenant.id);
      await onMigrate?.(ctx.tenant.id);
      if (failing.includes(ctx.tenant.id))
        return { applied: [], current: null, error: { code: 'MIGRATION_FAILED', message: 'boom' } };
      ctx.emit({
        type: 'migration:applied',
        tenantId: ctx.tenant.id,
        name: 'm1',
        direction: 'up',
        durationMs: 1,
      });
      return { applied: ['m1'], current: 'm1' };
    },
    async optimize() {
      return { optimizations: [] };
    },
    async restore(ctx) {
      restored.push(ctx.tenant.id);
    },
    async down() {},
  };
  return { ops, migrated, restored, backups };
}

async function run(options: Omit<UpgradeOptions, 'journal'> & { journal?: string }) {
  const events: FleetEvent[] = [];
  const journal = options.journal ?? journalPath();
  const report = await upgrade({ concurrency: 1, ...options, journal, onEvent: (e) => events.push(e) });
  return { report, events, journal };
}

const statusOf = (report: FleetReport) => Object.fromEntries(report.tenants.map((t) => [t.id, t.status]));
const skippedNotStarted = (report: FleetReport) =>
  report.tenants.filter((t) => t.status === 'skipped' && t.error?.code === 'NOT_STARTED').map((t) => t.id);

async function journalRows(path: string, runId: string) {
  const j = await Journal.open(path);
  try {
    return { tenants: await runTenants(j.knex, runId), steps: await runSteps(j.knex, runId) };
  } finally {
    await j.close();
  }
}

describe('upgrade(): waves and gates', () => {
  it('all good: every tenant upgraded, one wave after the other, the journal has every tenant', async () => {
    const tenants = fleet(6, [4]);
    const f = fakeOps();
    const { report, events, journal } = await run({
      tenants,
      operations: f.ops,
      canary: 'canary',
      waves: '2,rest',
    });
    assert.equal(report.ok, true);
    assert.equal(report.summary.succeeded, 6);
    assert.deepEqual(
      f.migrated,
      ['t04', 't00', 't01', 't02', 't03', 't05'],
      'canary first, then inventory order',
    );
    const waveEvents = events.filter((e) => e.type === 'wave:start' || e.type === 'wave:done');
    assert.deepEqual(
      waveEvents.map((e) => `${e.type}:${e.wave}`),
      ['wave:start:1', 'wave:done:1', 'wave:start:2', 'wave:done:2', 'wave:start:3', 'wave:done:3'],
    );
    const rows = await journalRows(journal, report.runId!);
    assert.deepEqual(rows.tenants.map((t) => [t.tenantId, t.wave, t.status]).sort(), [
      ['t00', 2, 'succeeded'],
      ['t01', 2, 'succeeded'],
      ['t02', 3, 'succeeded'],
      ['t03', 3, 'succeeded'],
      ['t04', 1, 'succeeded'],
      ['t05', 3, 'succeeded'],
    ]);
  });

  // With the default budget (0) a failed canary also broke the budget, and the budget's reason came
  // first: the CLI then suggested `upgrade --resume … --max-failures 2`, which starts nothing after a
  // failed canary.
  it('a failing canary within the default budget is reported as the canary gate, not the budget', async () => {
    const tenants = fleet(6, [0, 1]);
    const f = fakeOps(['t01']);
    const { report } = await run({ tenants, operations: f.ops, canary: 'canary', concurrency: 1 });
    const notStarted = report.tenants.filter((t) => t.error?.code === 'NOT_STARTED');
    assert.ok(notStarted.length > 0);
    for (const t of notStarted) assert.match(t.error!.message, /canary wave failed/, t.error!.message);
    assert.equal(budgetHint(report), undefined, 'no "raise the budget and resume" advice');
  });

  it('a failing canary stops the run before the next wave; the others are never touched', async () => {
    const tenants = fleet(8, [0, 1]);
    const f = fakeOps(['t01']);
    const { report, events } = await run({
      tenants,
      operations: f.ops,
      canary: 'canary',
      maxFailures: '50%',
      concurrency: 4,
    });
    assert.equal(report.ok, false);
    assert.deepEqual(f.migrated.sort(), ['t00', 't01'], 'only the canaries ran');
    assert.deepEqual(f.restored, ['t01']);
    assert.deepEqual(
      f.backups.filter((b) => !b.startsWith('t00') && !b.startsWith('t01')),
      [],
    );
    assert.deepEqual(skippedNotStarted(report), ['t02', 't03', 't04', 't05', 't06', 't07']);
    assert.match(report.tenants.find((t) => t.id === 't05')!.error!.message, /canary wave failed/);
    assert.deepEqual(
      events.filter((e) => e.type === 'wave:start').map((e) => (e as { wave: number }).wave),
      [1],
      'wave 2 never started',
    );
    const done = events.find((e) => e.type === 'wave:done');
    assert.ok(done?.type === 'wave:done' && done.passed === false);
  });

  it('--canary 0 makes no canary wave, so the first wave is gated by the budget only', async () => {
    const tenants = fleet(6);
    const f = fakeOps(['t00']);
    const { report } = await run({
      tenants,
      operations: f.ops,
      canary: '0',
      waves: '2,rest',
      maxFailures: 1,
    });
    assert.deepEqual(statusOf(report), {
      t00: 'failed',
      t01: 'succeeded',
      t02: 'succeeded',
      t03: 'succeeded',
      t04: 'succeeded',
      t05: 'succeeded',
    });
  });

  it('the failure budget: beyond it no new tenant starts (within one wave too)', async () => {
    const tenants = fleet(8);
    const f = fakeOps(['t01', 't03']);
    const { report } = await run({ tenants, operations: f.ops, maxFailures: '1' });
    assert.deepEqual(f.migrated, ['t00', 't01', 't02', 't03'], 'the 2nd failure exhausted a budget of 1');
    assert.deepEqual(skippedNotStarted(report), ['t04', 't05', 't06', 't07']);
    assert.match(
      report.tenants.find((t) => t.id === 't04')!.error!.message,
      /more than the failure budget \(1\)/,
    );
    assert.deepEqual(f.restored.sort(), ['t01', 't03'], 'every failed tenant was rolled back');
  });

  it('--on-failure stop: the first failure stops new starts and nothing is rolled back', async () => {
    const tenants = fleet(5);
    const f = fakeOps(['t01']);
    const { report } = await run({ tenants, operations: f.ops, onFailure: 'stop', maxFailures: '100%' });
    assert.deepEqual(f.migrated, ['t00', 't01']);
    assert.deepEqual(f.restored, []);
    assert.deepEqual(skippedNotStarted(report), ['t02', 't03', 't04']);
    assert.match(report.tenants.find((t) => t.id === 't02')!.error!.message, /--on-failure is stop/);
  });

  it('--on-failure continue with a budget: failures are left as they are and the others go on', async () => {
    const tenants = fleet(5);
    const f = fakeOps(['t01', 't02']);
    const { report } = await run({ tenants, operations: f.ops, onFailure: 'continue', maxFailures: '2' });
    assert.equal(report.summary.failed, 2);
    assert.equal(report.summary.succeeded, 3);
    assert.deepEqual(f.restored, []);
  });
});

describe('upgrade(): interrupt and resume', () => {
  it('an interrupted run resumes with only its unfinished tenants, reusing their finished steps', async () => {
    const tenants = fleet(6);
    const ac = new AbortController();
    const first = fakeOps([], (id) => {
      if (id === 't02') ac.abort();
    });
    const one = await run({ tenants, operations: first.ops, signal: ac.signal });
    assert.equal(one.report.interrupted, true);
    assert.deepEqual(first.migrated, ['t00', 't01', 't02']);
    assert.deepEqual(skippedNotStarted(one.report), ['t03', 't04', 't05']);

    const second = fakeOps();
    const two = await run({ tenants, operations: second.ops, journal: one.journal, resume: true });
    assert.equal(two.report.runId, one.report.runId, 'the same run continues');
    assert.deepEqual(second.migrated, ['t03', 't04', 't05'], 'finished tenants are not run again');
    assert.ok(!second.backups.some((b) => /^t0[012]/.test(b)));
    const rows = await journalRows(one.journal, one.report.runId!);
    assert.deepEqual(
      rows.tenants.map((t) => t.status),
      Array(6).fill('succeeded'),
      'the journal shows the whole run finished',
    );
  });

  it('the resumed run reports on the whole run: finished tenants included, summary and exit status too', async () => {
    const tenants = fleet(5);
    const ac = new AbortController();
    // t01 fails (and is rolled back) before the "crash"; the budget lets the run go on until the abort.
    const first = fakeOps(['t01'], (id) => {
      if (id === 't02') ac.abort();
    });
    const one = await run({ tenants, operations: first.ops, signal: ac.signal, maxFailures: '1' });
    assert.deepEqual(skippedNotStarted(one.report), ['t03', 't04']);

    const two = await run({ tenants, operations: fakeOps().ops, journal: one.journal, resume: true });
    assert.deepEqual(statusOf(two.report), {
      t00: 'succeeded',
      t01: 'failed',
      t02: 'succeeded',
      t03: 'succeeded',
      t04: 'succeeded',
    });
    assert.deepEqual(two.report.summary, { total: 5, succeeded: 4, failed: 1, skipped: 0 });
    assert.equal(two.report.ok, false, 'a tenant of this run failed: the resume must not exit 0');
    const carried = two.report.tenants.find((t) => t.id === 't01')!;
    assert.equal(carried.error?.code, 'MIGRATION_FAILED');
    assert.equal(
      (carried.details as { rolledBack?: boolean }).rolledBack,
      true,
      'details come from the journal',
    );
    const start = two.events.find((e) => e.type === 'run:start');
    assert.ok(
      start?.type === 'run:start' && start.total === 2,
      'the live progress counts what this process runs',
    );
    assert.ok(
      !two.events.some((e) => e.type === 'tenant:done' && ['t00', 't01', 't02'].includes(e.tenantId)),
      'finished tenants are not events again',
    );
    const j = await Journal.open(one.journal);
    try {
      const row = await findRun(j.knex, one.report.runId);
      assert.deepEqual(row?.summary, { total: 5, succeeded: 4, failed: 1, skipped: 0 });
      const t01 = (await runTenants(j.knex, one.report.runId!)).find((r) => r.tenantId === 't01');
      assert.equal(t01?.status, 'failed', 'the journal row of a finished tenant is left as it was');
    } finally {
      await j.close();
    }
  });

  it('a resume keeps to the gates the run had hit: after a canary failure the rest stay untouched', async () => {
    const tenants = fleet(6, [0, 1]);
    const one = await run({
      tenants,
      operations: fakeOps(['t01']).ops,
      canary: 'canary',
      maxFailures: '50%',
    });
    assert.deepEqual(skippedNotStarted(one.report), ['t02', 't03', 't04', 't05']);
    const second = fakeOps();
    const two = await run({ tenants, operations: second.ops, journal: one.journal, resume: true });
    assert.deepEqual(second.migrated, [], 'no tenant was started past the failed canary');
    assert.deepEqual(skippedNotStarted(two.report), ['t02', 't03', 't04', 't05']);
    assert.match(two.report.tenants.find((t) => t.id === 't02')!.error!.message, /canary wave had failed/);
    assert.equal(two.report.ok, false);
  });

  it('a resume keeps the failure budget the run was started with', async () => {
    const tenants = fleet(4);
    const one = await run({ tenants, operations: fakeOps(['t00', 't01']).ops, maxFailures: '1' });
    assert.deepEqual(skippedNotStarted(one.report), ['t02', 't03']);
    const second = fakeOps();
    await run({ tenants, operations: second.ops, journal: one.journal, resume: true });
    assert.deepEqual(second.migrated, [], '2 failures > budget 1: nothing new starts');
  });

  // A resume that took over a run still going found every in-flight tenant LOCKED, "rolled it back" and
  // reported it half-upgraded while the first runner finished it.
  it('--resume of a run whose process is still alive is a usage error; once it is gone, the resume runs', async () => {
    const tenants = fleet(2);
    const ac = new AbortController();
    const one = await run({ tenants, operations: fakeOps([], () => ac.abort()).ops, signal: ac.signal });
    // Another live process on this host journaled as the run's owner, the run still `running`.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        "import('./src/util/process-alive.ts').then((m) => { console.log(JSON.stringify(m.currentProcess())); setInterval(() => {}, 1000); })",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(child.stdout!, 'data')) as [Buffer];
      const j = await Journal.open(one.journal);
      await j
        .knex('dbfleet_runs')
        .where({ run_id: one.report.runId })
        .update({ status: 'running', owner: line.toString().trim() });
      await j.close();
      await assert.rejects(
        run({ tenants, operations: fakeOps().ops, journal: one.journal, resume: true }),
        new RegExp(`run ${one.report.runId} is still running \\(process ${child.pid} on this host\\)`),
      );
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const two = await run({ tenants, operations: fakeOps().ops, journal: one.journal, resume: true });
    assert.equal(two.report.ok, true, JSON.stringify(two.report.tenants));
  });

  // Skipped is not done: a tenant another runner held is tried again by the resume.
  it('--resume runs a tenant the run skipped because another runner held it', async () => {
    const tenants = fleet(2);
    const held = fakeOps();
    held.ops.probeLock = async (ctx) => {
      if (ctx.tenant.id === 't01')
        throw new TenantError('LOCKED', "the tenant's migration lock is held by another dbfleet runner", {
          skipped: true,
        });
    };
    const one = await run({ tenants, operations: held.ops });
    assert.deepEqual(statusOf(one.report), { t00: 'succeeded', t01: 'skipped' });
    const second = fakeOps();
    const two = await run({ tenants, operations: second.ops, journal: one.journal, resume: true });
    assert.deepEqual(second.migrated, ['t01']);
    assert.deepEqual(statusOf(two.report), { t00: 'succeeded', t01: 'succeeded' });
  });

  it('--resume with nothing in the journal is a usage error', async () => {
    await assert.rejects(
      run({ tenants: fleet(1), operations: fakeOps().ops, resume: true }),
      /no upgrade run in the journal to resume/,
    );
  });
});

describe('rollbackRun()', () => {
  it('restores every tenant the run changed from its pre-upgrade backup, last wave first, and can reopen', async () => {
    const tenants = fleet(6, [3]);
    const up = await run({
      tenants,
      operations: fakeOps(['t05']).ops,
      canary: 'canary',
      waves: '2,rest',
      maxFailures: 1,
    });
    assert.equal(up.report.summary.failed, 1);
    const f = fakeOps();
    const events: FleetEvent[] = [];
    const contexts: unknown[] = [];
    const report = await rollbackRun({
      tenants,
      operations: f.ops,
      journal: up.journal,
      run: true,
      reopen: true,
      hooks: {
        afterTenant: (_knex, context) => {
          contexts.push(context);
        },
      },
      concurrency: 1,
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.ok, true);
    // t05 failed and was rolled back by the upgrade itself: left alone.
    assert.deepEqual(f.restored, ['t02', 't04', 't00', 't01', 't03']);
    assert.deepEqual(
      events.filter((e) => e.type === 'wave:start').map((e) => (e.type === 'wave:start' ? e.wave : 0)),
      [3, 2, 1],
    );
    for (const t of report.tenants) assert.equal((t.details as { maintenance: string }).maintenance, 'open');
    assert.equal(contexts.length, 5);
    for (const c of contexts as { tenant: Record<string, unknown>; runId: string }[]) {
      assert.deepEqual(Object.keys(c.tenant).sort(), ['database', 'dialect', 'id', 'schema', 'tags']);
      assert.equal(c.runId, report.runId);
    }
  });

  it('closes each tenant (beforeTenant) before restoring it: a reopened tenant is not restored under its users', async () => {
    const tenants = fleet(3);
    const up = await run({ tenants, operations: fakeOps().ops });
    assert.equal(up.report.ok, true);
    const order: string[] = [];
    const f = fakeOps();
    const restore = f.ops.restore;
    f.ops.restore = async (ctx, backup) => {
      order.push(`restore ${ctx.tenant.id}`);
      if (ctx.tenant.id === 't01') throw new TenantError('RESTORE_FAILED', 'archive unreadable');
      return restore(ctx, backup);
    };
    const report = await rollbackRun({
      tenants,
      operations: f.ops,
      journal: up.journal,
      run: true,
      hooks: { beforeTenant: (_knex, c) => void order.push(`close ${c.tenant.id}`) },
      concurrency: 1,
    });
    assert.deepEqual(order, [
      'close t00',
      'restore t00',
      'close t01',
      'restore t01',
      'close t02',
      'restore t02',
    ]);
    const maintenance = Object.fromEntries(
      report.tenants.map((t) => [t.id, (t.details as { maintenance: string }).maintenance]),
    );
    // Without --reopen every tenant stays closed — the one whose restore failed too: it was closed first.
    assert.deepEqual(maintenance, { t00: 'closed', t01: 'closed', t02: 'closed' });
    assert.equal(report.tenants.find((t) => t.id === 't01')?.status, 'failed');
  });

  it('a tenant another runner holds during the rollback is skipped LOCKED, not failed', async () => {
    const tenants = fleet(2);
    const up = await run({ tenants, operations: fakeOps().ops });
    const f = fakeOps();
    f.ops.restore = async (ctx) => {
      if (ctx.tenant.id === 't01')
        throw new TenantError('LOCKED', "the tenant's migration lock is held by another dbfleet runner", {
          skipped: true,
        });
    };
    const report = await rollbackRun({ tenants, operations: f.ops, journal: up.journal, run: true });
    assert.deepEqual(statusOf(report), { t00: 'succeeded', t01: 'skipped' });
    assert.equal(report.tenants.find((t) => t.id === 't01')?.error?.code, 'LOCKED');
  });

  it('without hooks a rolled-back tenant is reported untouched, not closed', async () => {
    const tenants = fleet(2);
    const up = await run({ tenants, operations: fakeOps().ops });
    const report = await rollbackRun({ tenants, operations: fakeOps().ops, journal: up.journal, run: true });
    for (const t of report.tenants)
      assert.equal((t.details as { maintenance: string }).maintenance, 'untouched');
  });
});
