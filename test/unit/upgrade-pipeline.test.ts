// The per-tenant upgrade pipeline's decisions, with in-memory operations: what runs, in which order, what
// a failure at each step leads to (rollback or not), what a resume re-runs. No database: the fake session
// records the SQL the hooks send and answers the smoke checks' queries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TenantError } from '../../src/core/errors.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { Fingerprint } from '../../src/dialect/backup-types.js';
import type { DialectAdapter, TenantSession } from '../../src/dialect/types.js';
import type { TenantContext } from '../../src/fleet/run-fleet.js';
import type { CheckDefinition } from '../../src/upgrade/checks.js';
import { JournalFailed } from '../../src/upgrade/journal-stop.js';
import { upgradeTenant } from '../../src/upgrade/pipeline.js';
import {
  type BackupTaken,
  type PipelineSettings,
  type StepRecord,
  UPGRADE_STEPS,
  type UpgradeOperations,
} from '../../src/upgrade/types.js';

const TENANT: Tenant = {
  id: 'acme',
  dialect: 'postgres',
  connection: { host: 'db1', database: 'acme' },
  host: 'postgres://db1:5432',
  database: 'acme',
  tags: ['eu'],
};

const BEFORE_SQL = "update app_settings set value = 'on' where key = 'maintenance'";
const AFTER_SQL = "update app_settings set value = 'off' where key = 'maintenance'";

/** A fake tenant: its session records every SQL statement; `checkRows` is what a check query returns. */
function fakeTenant(checkRows: () => Promise<Record<string, unknown>[]> = async () => [{ ok: true }]) {
  const sql: string[] = [];
  const events: FleetEvent[] = [];
  let opened = 0;
  const session = {
    tenant: TENANT,
    knex: {
      raw: async (text: string) => {
        sql.push(text);
        return { rows: await checkRows() };
      },
    },
    runScript: async (text: string) => {
      sql.push(text);
    },
    readOnly: <T>(fn: () => Promise<T>) => fn(),
  } as unknown as TenantSession;
  const adapter = {
    name: 'postgres',
    classifyError: () => undefined,
    rowsOf: (result: unknown) => (result as { rows: Record<string, unknown>[] }).rows,
  } as unknown as DialectAdapter;
  const ctx: TenantContext = {
    tenant: TENANT,
    adapter,
    signal: new AbortController().signal,
    emit: (e) => events.push(e),
    session: async () => {
      opened++;
      return session;
    },
    releaseSession: async () => {},
    secondConnection: (fn) => fn(),
  };
  return {
    ctx,
    sql,
    events,
    get opened() {
      return opened;
    },
  };
}

type Fault =
  | 'backup-pre'
  | 'verify-pre'
  | 'migrate'
  | 'optimize'
  | 'backup-post'
  | 'verify-post'
  | 'restore'
  | 'restore-mismatch'
  | 'down';

/** A fake fingerprint whose hash names the backup it belongs to. */
const fingerprintOf = (label: string): Fingerprint => ({
  level: 'schema',
  schemaHash: label,
  objects: {},
  tables: {},
});

/** In-memory operations: every call is logged; `faults` makes the named operation fail. */
function fakeOps(faults: Fault[] = [], migrateApplies: string[] = ['m1', 'm2']) {
  const log: string[] = [];
  let backups = 0;
  const restored: BackupTaken[] = [];
  const downs: { applied: string[]; expected: unknown }[] = [];
  /** `pre:fresh` / `pre:journaled`: whether verify was told the backup was just taken by this process. */
  const verified: string[] = [];
  const ops: UpgradeOperations = {
    async backup(_ctx, label) {
      log.push(`backup:${label}`);
      if (faults.includes(`backup-${label}`))
        throw new TenantError('BACKUP_FAILED', `pg_dump failed (${label})`);
      backups++;
      return {
        path: `/b/acme/${backups}.dump`,
        bytes: 100,
        sha256: `sha${backups}`,
        fingerprint: fingerprintOf(label),
      };
    },
    async verify(_ctx, backup, deep, justTaken) {
      const label = backup.fingerprint.schemaHash as 'pre' | 'post';
      verified.push(`${label}:${justTaken ? 'fresh' : 'journaled'}`);
      log.push(`verify:${label}:${deep ? 'deep' : 'light'}`);
      if (faults.includes(`verify-${label}`))
        throw new TenantError('BACKUP_UNREADABLE', 'archive unreadable');
      return { verified: deep ? 'deep' : 'light' };
    },
    async migrate() {
      log.push('migrate');
      if (faults.includes('migrate'))
        return {
          applied: migrateApplies.slice(0, 1),
          current: migrateApplies[0] ?? null,
          error: { code: 'MIGRATION_FAILED', message: 'm2: relation "x" does not exist' },
        };
      return { applied: [...migrateApplies], current: migrateApplies.at(-1) ?? null };
    },
    async optimize() {
      log.push('optimize');
      if (faults.includes('optimize'))
        return { optimizations: [], error: { code: 'OPTIMIZATION_FAILED', message: 'index build failed' } };
      return { optimizations: [{ name: 'o1', action: 'built' }] };
    },
    async restore(_ctx, backup) {
      log.push(`restore:${backup.path}`);
      if (faults.includes('restore'))
        throw new TenantError('RESTORE_FAILED', 'pg_restore: error: could not execute query');
      // As restoreFromBackup says it: the data was replaced, then the fingerprint differed.
      if (faults.includes('restore-mismatch'))
        throw new TenantError(
          'RESTORE_MISMATCH',
          `acme's data was replaced by its backup of … (${backup.path}), but the restored database differs from that backup's fingerprint: public.orders: rows expected 3, found 2`,
        );
      restored.push(backup);
    },
    async down(_ctx, applied, expected) {
      log.push(`down:${applied.join(',')}`);
      if (faults.includes('down')) throw new TenantError('ROLLBACK_MISMATCH', 'differs');
      downs.push({ applied: [...applied], expected });
    },
  };
  return { ops, log, restored, downs, verified };
}

function settings(overrides: Partial<PipelineSettings> = {}) {
  let checkpoints = 0;
  const s: PipelineSettings = {
    runId: 'run-1',
    hooks: { beforeTenant: BEFORE_SQL, afterTenant: AFTER_SQL },
    checks: [{ name: 'orders_ok', sql: 'select count(*) = 0 from orders where total < 0' }],
    onFailure: 'rollback',
    rollbackWith: 'restore',
    deepVerify: false,
    skipBackup: false,
    checkpoint: async () => {
      checkpoints++;
    },
    ...overrides,
  };
  return {
    s,
    get checkpoints() {
      return checkpoints;
    },
  };
}

const FULL_LOG = [
  'backup:pre',
  'verify:pre:light',
  'migrate',
  'optimize',
  'backup:post',
  'verify:post:light',
];

describe('upgradeTenant: the happy path', () => {
  it('runs every step in order, opens the tenant last, checkpoints after each step', async () => {
    const t = fakeTenant();
    const { ops, log, restored } = fakeOps();
    const st = settings();
    const outcome = await upgradeTenant(t.ctx, ops, st.s);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(log, FULL_LOG);
    assert.deepEqual(restored, []);
    // The hooks and the check ran on the tenant's session, in runbook order.
    assert.deepEqual(t.sql, [BEFORE_SQL, 'select count(*) = 0 from orders where total < 0', AFTER_SQL]);
    assert.deepEqual(
      outcome.details.steps.map((s) => [s.step, s.status]),
      UPGRADE_STEPS.map((s) => [s, 'succeeded']),
    );
    assert.equal(outcome.details.maintenance, 'open');
    assert.deepEqual(outcome.details.applied, ['m1', 'm2']);
    assert.deepEqual(outcome.details.backups, { pre: '/b/acme/1.dump', post: '/b/acme/2.dump' });
    assert.equal(outcome.details.rolledBack, undefined);
    assert.equal(st.checkpoints, UPGRADE_STEPS.length, 'one journal checkpoint per step');
    const starts = t.events.filter((e) => e.type === 'step:start').map((e) => (e as { step: string }).step);
    assert.deepEqual(starts, [...UPGRADE_STEPS]);
  });

  it('tells verify that both backups were just taken (their hash need not be read back)', async () => {
    const t = fakeTenant();
    const { ops, verified } = fakeOps();
    const outcome = await upgradeTenant(t.ctx, ops, settings().s);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(verified, ['pre:fresh', 'post:fresh']);
  });

  it('deep-verifies the pre-upgrade backup only when asked; the post-upgrade one stays light', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    await upgradeTenant(t.ctx, ops, settings({ deepVerify: true }).s);
    assert.ok(log.includes('verify:pre:deep'));
    assert.ok(log.includes('verify:post:light'));
  });

  it('without hooks the tenant is never closed nor opened: maintenance untouched', async () => {
    const t = fakeTenant();
    const { ops } = fakeOps();
    const outcome = await upgradeTenant(t.ctx, ops, settings({ hooks: {} }).s);
    assert.equal(outcome.error, undefined);
    assert.equal(outcome.details.maintenance, 'untouched');
    assert.ok(!outcome.details.steps.some((s) => s.step === 'before-tenant' || s.step === 'after-tenant'));
  });

  it('function hooks and checks get the knex and the tenant/run context', async () => {
    const t = fakeTenant();
    const { ops } = fakeOps();
    const seen: string[] = [];
    const checks: CheckDefinition[] = [
      {
        name: 'fn',
        run: (_knex, c) => {
          seen.push(`check ${c.tenant.id} ${c.runId}`);
          return true;
        },
      },
    ];
    const outcome = await upgradeTenant(
      t.ctx,
      ops,
      settings({
        checks,
        hooks: {
          beforeTenant: (_knex, c) => void seen.push(`before ${c.tenant.id} ${c.tenant.database}`),
          afterTenant: (_knex, c) => void seen.push(`after ${c.runId}`),
        },
      }).s,
    );
    assert.equal(outcome.error, undefined);
    assert.deepEqual(seen, ['before acme acme', 'check acme run-1', 'after run-1']);
  });

  it('skipBackup: no backup nor verify, and the rest still runs', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    const outcome = await upgradeTenant(t.ctx, ops, settings({ skipBackup: true }).s);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(log, ['migrate', 'optimize']);
    assert.equal(outcome.details.maintenance, 'open');
  });
});

describe('upgradeTenant: a failure after the tenant may have changed rolls it back', () => {
  for (const fault of ['migrate', 'optimize', 'backup-post', 'verify-post'] as const) {
    it(`${fault} fails → restore from the pre-upgrade backup, after-tenant never runs`, async () => {
      const t = fakeTenant();
      const { ops, log, restored } = fakeOps([fault]);
      const outcome = await upgradeTenant(t.ctx, ops, settings().s);
      assert.ok(outcome.error, 'the tenant failed');
      assert.match(outcome.error.message, new RegExp(`^${fault}: `));
      assert.match(outcome.error.message, /rolled back to the pre-upgrade state/);
      assert.equal(restored.length, 1);
      assert.equal(restored[0]!.path, '/b/acme/1.dump', 'the PRE-upgrade backup is the one restored');
      assert.equal(log.at(-1), 'restore:/b/acme/1.dump');
      assert.ok(!t.sql.includes(AFTER_SQL), 'the tenant was not reopened');
      assert.equal(outcome.details.maintenance, 'closed');
      assert.equal(outcome.details.rolledBack, true);
      assert.deepEqual(outcome.details.steps.at(-1), {
        step: 'rollback',
        status: 'succeeded',
        durationMs: outcome.details.steps.at(-1)!.durationMs,
      });
      assert.equal(outcome.details.steps.find((s) => s.status === 'failed')?.step, fault);
    });
  }

  // The reopen hook may have let users in before it failed: restoring the pre-upgrade backup then could
  // lose what they wrote. An upgraded, verified tenant whose afterTenant fails is failed, not restored.
  it('an afterTenant hook that fails: the upgraded tenant is failed, not rolled back', async () => {
    const t = fakeTenant();
    const { ops, log, restored } = fakeOps();
    const outcome = await upgradeTenant(
      t.ctx,
      ops,
      settings({
        hooks: {
          beforeTenant: BEFORE_SQL,
          afterTenant: async () => {
            throw new Error('load balancer did not answer');
          },
        },
      }).s,
    );
    assert.match(outcome.error?.message ?? '', /^after-tenant: .*load balancer did not answer/);
    assert.match(outcome.error?.message ?? '', /Not rolled back/);
    assert.equal(restored.length, 0);
    assert.ok(!log.some((l) => l.startsWith('restore')), log.join(' '));
    assert.equal(outcome.details.rolledBack, undefined);
    assert.ok(!outcome.details.steps.some((s) => s.step === 'rollback'));
  });

  // Without hooks nobody closed the tenant: "stays in maintenance" told the operator its users were out.
  it('without hooks a rolled-back tenant is not said to stay in maintenance', async () => {
    const t = fakeTenant();
    const { ops } = fakeOps(['migrate']);
    const outcome = await upgradeTenant(t.ctx, ops, settings({ hooks: {} }).s);
    assert.equal(outcome.details.maintenance, 'untouched');
    assert.match(outcome.error?.message ?? '', /rolled back to the pre-upgrade state$/);

    const failing = fakeOps(['migrate', 'restore']);
    const half = await upgradeTenant(fakeTenant().ctx, failing.ops, settings({ hooks: {} }).s);
    assert.equal(half.error?.code, 'ROLLBACK_FAILED');
    assert.doesNotMatch(half.error?.message ?? '', /maintenance/);
  });

  it('a migration failure keeps its code and the migrations that did apply', async () => {
    const t = fakeTenant();
    const { ops } = fakeOps(['migrate']);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s);
    assert.equal(outcome.error?.code, 'MIGRATION_FAILED');
    assert.deepEqual(outcome.details.applied, ['m1']);
    const failed = t.events.find((e) => e.type === 'step:done' && e.step === 'migrate');
    assert.ok(failed?.type === 'step:done');
    assert.equal(failed.status, 'failed');
    assert.deepEqual(failed.data, { applied: ['m1'] }, 'the journal learns what the failed step applied');
  });

  for (const [label, rows] of [
    ['returns false', async () => [{ ok: false }]],
    ['returns no row', async () => []],
    [
      'throws',
      async () => {
        throw new Error('relation "orders" does not exist');
      },
    ],
  ] as const) {
    it(`a smoke check that ${label} fails the tenant (CHECK_FAILED) and rolls it back`, async () => {
      const t = fakeTenant(rows);
      const { ops, log, restored } = fakeOps();
      const outcome = await upgradeTenant(t.ctx, ops, settings().s);
      assert.equal(outcome.error?.code, 'CHECK_FAILED');
      assert.match(outcome.error!.message, /checks: smoke check orders_ok failed/);
      assert.equal(restored.length, 1);
      assert.ok(!log.includes('backup:post'), 'no post-upgrade backup of a tenant that failed its checks');
      assert.ok(!t.sql.includes(AFTER_SQL));
      assert.equal(outcome.details.maintenance, 'closed');
    });
  }

  // A migrate step that changed nothing — refused before the first migration (another runner holds the
  // lock, a history problem) or the first one failed in its own transaction — has nothing to roll back:
  // a restore would only cost time, and under another runner's lock would overwrite its work.
  for (const [label, migrate] of [
    [
      'fails in its transaction before anything applied',
      async () => ({
        applied: [],
        current: null,
        error: { code: 'LOCK_TIMEOUT', message: 'm1: canceling statement due to lock timeout' },
        unchanged: true,
      }),
    ],
    [
      'is refused before the first migration',
      async () => {
        throw Object.assign(
          new TenantError('MIGRATION_PROBLEMS', 'migration m0 was edited after it was applied'),
          {
            unchanged: true,
          },
        );
      },
    ],
  ] as [string, UpgradeOperations['migrate']][]) {
    it(`a migrate step that ${label}: no restore, the tenant stays closed, the message says so`, async () => {
      const t = fakeTenant();
      const { ops, log } = fakeOps();
      ops.migrate = migrate;
      const outcome = await upgradeTenant(t.ctx, ops, settings().s);
      assert.ok(!log.some((l) => l.startsWith('restore')), log.join(', '));
      assert.match(
        outcome.error!.message,
        /no migration was applied, so nothing was restored; the tenant stays in maintenance/,
      );
      assert.equal(outcome.details.maintenance, 'closed');
      assert.ok(!t.sql.includes(AFTER_SQL));
    });
  }

  it('a migration that fails after another applied is still rolled back, unchanged flag or not', async () => {
    const t = fakeTenant();
    const { ops, restored } = fakeOps();
    ops.migrate = async () => ({
      applied: ['m1'],
      current: 'm1',
      error: { code: 'MIGRATION_FAILED', message: 'm2 failed' },
      unchanged: true,
    });
    await upgradeTenant(t.ctx, ops, settings().s);
    assert.equal(restored.length, 1);
  });

  // Ctrl-C stops the migrate step between migrations. Rolling back then, under the aborted signal, could
  // only fail (pg_restore is not started) and leave the tenant half-upgraded; instead the step is left
  // unfinished, as a killed run leaves it, for `upgrade --resume`.
  it('an interrupted step is left unfinished for --resume: skipped INTERRUPTED, nothing rolled back', async () => {
    const t = fakeTenant();
    const interrupt = new AbortController();
    const ctx = { ...t.ctx, signal: interrupt.signal };
    const { ops, log } = fakeOps();
    ops.migrate = async () => {
      interrupt.abort();
      return {
        applied: ['m1'],
        current: 'm1',
        error: { code: 'INTERRUPTED', message: 'interrupted after 1 of 2 pending migrations' },
      };
    };
    const outcome = await upgradeTenant(ctx, ops, settings().s);
    assert.equal(outcome.status, 'skipped');
    assert.equal(outcome.error?.code, 'INTERRUPTED');
    assert.match(
      outcome.error!.message,
      /^migrate: interrupted after 1 of 2 .* stays in maintenance; `upgrade --resume` finishes it$/,
    );
    assert.ok(!log.some((l) => l.startsWith('restore')), log.join(', '));
    const migrateDone = t.events.find((e) => e.type === 'step:done' && e.step === 'migrate');
    assert.equal(migrateDone, undefined, 'the journal keeps the step unfinished, as after a kill');
  });

  it('a checkpoint the journal cannot store stops the tenant there: skipped JOURNAL_FAILED, nothing rolled back', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    let checkpoints = 0;
    const st = settings({
      checkpoint: async () => {
        // before-tenant, backup-pre, verify-pre, then migrate's.
        if (++checkpoints === 4) throw new JournalFailed(new Error('database or disk is full'));
      },
    });
    const outcome = await upgradeTenant(t.ctx, ops, st.s);
    assert.equal(outcome.status, 'skipped');
    assert.equal(outcome.error?.code, 'JOURNAL_FAILED');
    assert.match(
      outcome.error!.message,
      /^migrate: the journal could not record it: database or disk is full — the run stopped here, as after a kill: nothing was rolled back and the tenant stays in maintenance; .*upgrade --resume/,
    );
    assert.deepEqual(log, ['backup:pre', 'verify:pre:light', 'migrate'], 'nothing after, no restore');
  });

  it('a failed step whose failure the journal cannot store is not rolled back either (a resume runs it again)', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps(['optimize']);
    let checkpoints = 0;
    const st = settings({
      checkpoint: async () => {
        if (++checkpoints === 5) throw new JournalFailed(new Error('SQLITE_FULL'));
      },
    });
    const outcome = await upgradeTenant(t.ctx, ops, st.s);
    assert.equal(outcome.error?.code, 'JOURNAL_FAILED');
    assert.ok(!log.some((l) => l.startsWith('restore')), log.join(', '));
  });

  it("a queue worker's raw flush failure at a checkpoint is the journal's too: nothing rolled back", async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    let checkpoints = 0;
    const st = settings({
      checkpoint: async () => {
        if (++checkpoints === 4) throw new Error('Connection terminated unexpectedly');
      },
    });
    const outcome = await upgradeTenant(t.ctx, ops, st.s);
    assert.equal(outcome.status, 'skipped');
    assert.equal(outcome.error?.code, 'JOURNAL_FAILED');
    assert.match(outcome.error!.message, /Connection terminated unexpectedly/);
    assert.ok(!log.some((l) => l.startsWith('restore')), log.join(', '));
  });

  it('the rollback starts on a fresh connection (the failure may have been the connection)', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps(['migrate']);
    const ctx = { ...t.ctx, releaseSession: async () => void log.push('release-session') };
    await upgradeTenant(ctx, ops, settings().s);
    assert.deepEqual(log.slice(-2), ['release-session', 'restore:/b/acme/1.dump']);
  });

  it('a tenant whose lock another runner holds is skipped before it is closed or backed up', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    ops.probeLock = async () => {
      throw new TenantError('LOCKED', "the tenant's migration lock is held by another dbfleet runner", {
        skipped: true,
      });
    };
    const outcome = await upgradeTenant(t.ctx, ops, settings().s);
    assert.equal(outcome.status, 'skipped');
    assert.equal(outcome.error?.code, 'LOCKED');
    assert.deepEqual(log, []);
    assert.deepEqual(t.sql, [], 'not closed');
    assert.equal(outcome.details.maintenance, 'untouched');
  });

  // The probe's lock is released before the backup: a runner that takes the tenant in between made this
  // one fail it after closing and backing it up, "staying in maintenance" though the other reopened it.
  it('a tenant another runner took after the probe is skipped LOCKED at migrate, nothing restored', async () => {
    const t = fakeTenant();
    const { ops, log, restored } = fakeOps();
    ops.migrate = async () => {
      const err = new TenantError('LOCKED', "the tenant's migration lock is held by another dbfleet runner", {
        skipped: true,
      });
      throw Object.assign(err, { unchanged: true });
    };
    const outcome = await upgradeTenant(t.ctx, ops, settings().s);
    assert.equal(outcome.status, 'skipped');
    assert.equal(outcome.error?.code, 'LOCKED');
    assert.match(outcome.error!.message, /another runner took the tenant after this run had checked it/);
    assert.equal(restored.length, 0);
    assert.ok(!log.some((l) => l.startsWith('restore')), log.join(', '));
  });

  it('--rollback-with down runs down() for what was applied, checked against the pre-upgrade fingerprint', async () => {
    const t = fakeTenant();
    const { ops, downs, restored } = fakeOps(['optimize']);
    const outcome = await upgradeTenant(t.ctx, ops, settings({ rollbackWith: 'down' }).s);
    assert.equal(restored.length, 0);
    assert.deepEqual(downs, [{ applied: ['m1', 'm2'], expected: fingerprintOf('pre') }]);
    assert.equal(outcome.details.rolledBack, true);
    const rollback = t.events.find((e) => e.type === 'step:done' && e.step === 'rollback');
    assert.ok(rollback?.type === 'step:done');
    assert.equal(rollback.data?.with, 'down');
    assert.deepEqual(rollback.data?.reverted, ['m2', 'm1']);
  });
});

describe('upgradeTenant: failures before anything changed are not rolled back', () => {
  for (const fault of ['backup-pre', 'verify-pre'] as const) {
    it(`${fault} fails → no restore, no migration, the tenant stays closed`, async () => {
      const t = fakeTenant();
      const { ops, log, restored } = fakeOps([fault]);
      const outcome = await upgradeTenant(t.ctx, ops, settings().s);
      assert.ok(outcome.error);
      assert.match(outcome.error.message, new RegExp(`^${fault}: `));
      assert.doesNotMatch(outcome.error.message, /rolled back/);
      assert.equal(restored.length, 0);
      assert.ok(!log.includes('migrate'));
      assert.ok(!log.some((l) => l.startsWith('restore')));
      assert.equal(outcome.details.rolledBack, undefined);
      assert.ok(!outcome.details.steps.some((s) => s.step === 'rollback'));
      assert.deepEqual(t.sql, [BEFORE_SQL], 'closed by before-tenant, never reopened');
      assert.equal(outcome.details.maintenance, 'closed');
    });
  }

  it('a before-tenant hook that fails: nothing else runs, maintenance untouched', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    const outcome = await upgradeTenant(
      t.ctx,
      ops,
      settings({
        hooks: {
          beforeTenant: () => {
            throw new Error('no such table app_settings');
          },
        },
      }).s,
    );
    assert.match(outcome.error!.message, /^before-tenant: no such table/);
    assert.deepEqual(log, []);
    assert.equal(outcome.details.maintenance, 'untouched');
  });
});

describe('upgradeTenant: a rollback that fails', () => {
  it('restore fails → ROLLBACK_FAILED, needsAttention names the backup, rolledBack false', async () => {
    const t = fakeTenant();
    const { ops } = fakeOps(['migrate', 'restore']);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s);
    assert.equal(outcome.error?.code, 'ROLLBACK_FAILED');
    assert.match(outcome.error!.message, /^migrate: m2: relation "x" does not exist; then ROLLBACK FAILED/);
    assert.equal(outcome.details.rolledBack, false);
    assert.match(outcome.details.needsAttention ?? '', /ROLLBACK FAILED: pg_restore: error/);
    assert.match(outcome.details.needsAttention ?? '', /the tenant is half-upgraded/);
    assert.match(
      outcome.details.needsAttention ?? '',
      /dbfleet restore --tenant acme --backup \/b\/acme\/1\.dump/,
    );
    assert.equal(outcome.details.maintenance, 'closed');
    assert.ok(!t.sql.includes(AFTER_SQL));
    assert.deepEqual(outcome.details.steps.at(-1)?.status, 'failed');
  });

  // The restore did replace the tenant's data before its fingerprint was found to differ: "the tenant is
  // half-upgraded; restore the pre-upgrade backup" was false, and restoring the same backup is no remedy.
  it('a restore that replaced the data but differs: said so, not "half-upgraded", no restore command', async () => {
    const t = fakeTenant();
    const { ops } = fakeOps(['migrate', 'restore-mismatch']);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s);
    assert.equal(outcome.error?.code, 'ROLLBACK_FAILED');
    assert.equal(
      outcome.details.needsAttention,
      "ROLLBACK FAILED: acme's data was replaced by its backup of … (/b/acme/1.dump), but the restored database differs from that backup's fingerprint: public.orders: rows expected 3, found 2 — it is not half-upgraded and stays in maintenance",
    );
  });

  it('down fails → ROLLBACK_FAILED too', async () => {
    const t = fakeTenant();
    const { ops } = fakeOps(['optimize', 'down']);
    const outcome = await upgradeTenant(t.ctx, ops, settings({ rollbackWith: 'down' }).s);
    assert.equal(outcome.error?.code, 'ROLLBACK_FAILED');
    assert.ok(outcome.details.needsAttention);
  });

  it('backups skipped: nothing to restore → ROLLBACK_FAILED (NO_BACKUP), never a silent "rolled back"', async () => {
    const t = fakeTenant();
    const { ops, restored } = fakeOps(['migrate']);
    const outcome = await upgradeTenant(t.ctx, ops, settings({ skipBackup: true }).s);
    assert.equal(outcome.error?.code, 'ROLLBACK_FAILED');
    assert.match(outcome.details.needsAttention ?? '', /no pre-upgrade backup/);
    assert.equal(restored.length, 0);
    assert.equal(outcome.details.rolledBack, false);
  });
});

describe('upgradeTenant: --on-failure stop / continue leave the tenant as it is', () => {
  for (const onFailure of ['stop', 'continue'] as const) {
    it(`${onFailure}: a migrate failure is reported, not rolled back, the tenant stays closed`, async () => {
      const t = fakeTenant();
      const { ops, log, restored } = fakeOps(['migrate']);
      const outcome = await upgradeTenant(t.ctx, ops, settings({ onFailure }).s);
      assert.equal(outcome.error?.code, 'MIGRATION_FAILED');
      assert.doesNotMatch(outcome.error!.message, /rolled back/);
      assert.equal(restored.length, 0);
      assert.ok(!log.some((l) => l.startsWith('restore') || l.startsWith('down')));
      assert.equal(outcome.details.rolledBack, undefined);
      assert.equal(outcome.details.maintenance, 'closed');
      assert.ok(!t.sql.includes(AFTER_SQL));
    });
  }
});

describe('upgradeTenant: resume (previous steps from the journal)', () => {
  const PRE: BackupTaken = {
    path: '/b/acme/old.dump',
    bytes: 7,
    sha256: 'old',
    fingerprint: fingerprintOf('old'),
  };
  const rec = (
    step: string,
    status: StepRecord['status'],
    data?: Record<string, unknown>,
  ): [string, StepRecord] => [step, { step, status, ...(data ? { data } : {}) }];

  it('skips finished steps, reuses the pre-upgrade backup, keeps what the killed migrate applied', async () => {
    const t = fakeTenant();
    const { ops, log, restored } = fakeOps(['optimize'], ['m2']);
    const previous = new Map([
      rec('before-tenant', 'succeeded'),
      rec('backup-pre', 'succeeded', { ...PRE }),
      rec('verify-pre', 'succeeded', { verified: 'light' }),
      rec('migrate', 'running', { applied: ['m1'] }),
    ]);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s, previous);
    assert.deepEqual(log, ['migrate', 'optimize', 'restore:/b/acme/old.dump']);
    assert.deepEqual(t.sql, [], 'the before-tenant hook is not run again');
    assert.deepEqual(restored, [PRE], "the killed run's pre-upgrade backup is the one restored");
    assert.deepEqual(outcome.details.applied, ['m1', 'm2']);
    assert.equal(outcome.details.backups.pre, PRE.path);
    assert.equal(outcome.details.maintenance, 'closed');
    const startedSteps = t.events
      .filter((e) => e.type === 'step:start')
      .map((e) => (e as { step: string }).step);
    assert.deepEqual(startedSteps, ['migrate', 'optimize', 'rollback']);
  });

  it('a backup the killed run journaled is verified as one to read back, not as just taken', async () => {
    const t = fakeTenant();
    const { ops, log, verified } = fakeOps();
    const previous = new Map([
      rec('before-tenant', 'succeeded'),
      rec('backup-pre', 'succeeded', { ...PRE, fingerprint: fingerprintOf('pre') }),
      rec('verify-pre', 'running'),
    ]);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s, previous);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(log.slice(0, 2), ['verify:pre:light', 'migrate']);
    assert.deepEqual(verified, ['pre:journaled', 'post:fresh']);
  });

  it('a tenant killed after its checks finishes with backup-post, verify-post and after-tenant only', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    const previous = new Map([
      rec('before-tenant', 'succeeded'),
      rec('backup-pre', 'succeeded', { ...PRE }),
      rec('verify-pre', 'succeeded'),
      rec('migrate', 'succeeded', { applied: ['m1', 'm2'], current: 'm2' }),
      rec('optimize', 'succeeded'),
      rec('checks', 'succeeded', { passed: ['orders_ok'] }),
      rec('backup-post', 'running'),
    ]);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s, previous);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(log, ['backup:post', 'verify:post:light']);
    assert.deepEqual(t.sql, [AFTER_SQL]);
    assert.deepEqual(outcome.details.applied, ['m1', 'm2']);
    assert.equal(outcome.details.backups.pre, PRE.path);
    assert.equal(outcome.details.maintenance, 'open');
    assert.equal(outcome.details.steps.length, UPGRADE_STEPS.length);
  });

  it('a tenant killed while rolling back finishes its rollback; the failed step is not tried again', async () => {
    const t = fakeTenant();
    const { ops, log, restored } = fakeOps();
    const previous = new Map([
      rec('before-tenant', 'succeeded'),
      rec('backup-pre', 'succeeded', { ...PRE }),
      rec('verify-pre', 'succeeded'),
      [
        'migrate',
        {
          step: 'migrate',
          status: 'failed',
          data: { applied: ['m1'] },
          error: { code: 'MIGRATION_FAILED', message: 'm2: boom' },
        },
      ] as [string, StepRecord],
      rec('rollback', 'running'),
    ]);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s, previous);
    assert.deepEqual(
      log,
      ['restore:/b/acme/old.dump'],
      'no migration re-run on a tenant that was being restored',
    );
    assert.deepEqual(restored, [PRE]);
    assert.equal(outcome.error?.code, 'MIGRATION_FAILED');
    assert.match(outcome.error!.message, /^migrate: m2: boom — rolled back/);
    assert.equal(outcome.details.rolledBack, true);
    assert.deepEqual(outcome.details.applied, ['m1']);
    assert.equal(outcome.details.maintenance, 'closed');
    assert.deepEqual(t.sql, []);
  });

  it('killed after a failure with --on-failure continue: reported failed, nothing re-run', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    const previous = new Map([
      rec('before-tenant', 'succeeded'),
      rec('backup-pre', 'succeeded', { ...PRE }),
      rec('verify-pre', 'succeeded'),
      rec('migrate', 'succeeded', { applied: ['m1', 'm2'] }),
      ['optimize', { step: 'optimize', status: 'failed', error: { code: 'LOCK_TIMEOUT', message: 'x' } }] as [
        string,
        StepRecord,
      ],
    ]);
    const outcome = await upgradeTenant(t.ctx, ops, settings({ onFailure: 'continue' }).s, previous);
    assert.deepEqual(log, []);
    assert.equal(outcome.error?.code, 'LOCK_TIMEOUT');
    assert.equal(outcome.details.rolledBack, undefined);
  });

  it('a tenant killed during its backup takes the backup again (a running step is not finished)', async () => {
    const t = fakeTenant();
    const { ops, log } = fakeOps();
    const previous = new Map([rec('before-tenant', 'succeeded'), rec('backup-pre', 'running')]);
    const outcome = await upgradeTenant(t.ctx, ops, settings().s, previous);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(log, FULL_LOG);
    assert.deepEqual(t.sql, ['select count(*) = 0 from orders where total < 0', AFTER_SQL]);
  });
});
