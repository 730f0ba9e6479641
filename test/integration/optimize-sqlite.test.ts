import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import { createDemoFleet } from '../../src/demo/create-fleet.js';
import { optimize } from '../../src/optimization/fleet.js';
import { loadOptimizations } from '../../src/optimization/loader.js';
import type { LoadedOptimization, Optimization, OptimizationOutcome } from '../../src/optimization/types.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-optimize-sqlite-'));
let tenants: Tenant[];
let demo: LoadedOptimization[];

function query<T>(tenant: Tenant, sql: string, ...params: unknown[]): T[] {
  const db = new Database(tenant.database, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function oldAuditRows(tenant: Tenant): number {
  return query<{ n: number }>(
    tenant,
    'select count(*) as n from audit_log where occurred_at < ?',
    Date.now() - 365 * DAY,
  )[0]!.n;
}

function outcomesOf(report: Awaited<ReturnType<typeof optimize>>): Record<string, OptimizationOutcome[]> {
  return Object.fromEntries(
    report.tenants.map((t) => [t.id, t.details.optimizations as OptimizationOutcome[]]),
  );
}

before(async () => {
  const latest = readdirSync('migrations')
    .filter((f) => /\.(ts|js|sql)$/.test(f))
    .sort()
    .at(-1)!;
  ({ tenants } = await createDemoFleet({
    dir: join(dir, 'fleet'),
    count: 2,
    migrationsDir: 'migrations',
    baseline: latest,
  }));
  demo = await loadOptimizations('optimizations');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('optimize on SQLite: the demo fleet', () => {
  test('the demo optimizations load once, in file order', () => {
    assert.deepEqual(
      demo.map((o) => [o.definition.kind, o.definition.name]),
      [
        ['index', 'enrollments_course_id_idx'],
        ['index', 'submissions_user_submitted_idx'],
        ['cleanup', 'audit_log_retention'],
        ['analyze', 'refresh_statistics'],
      ],
    );
  });

  test('dry run reports the exact rows, then the run builds, deletes and analyzes; a rerun is a no-op', async () => {
    const expected = Object.fromEntries(tenants.map((t) => [t.id, oldAuditRows(t)]));
    const total = Object.fromEntries(
      tenants.map((t) => [t.id, query<{ n: number }>(t, 'select count(*) as n from audit_log')[0]!.n]),
    );
    assert.ok(
      Object.values(expected).every((n) => n > 0),
      'the demo seed has old audit rows',
    );

    const dry = await optimize({ tenants, optimizations: demo, dryRun: true });
    assert.equal(dry.summary.succeeded, 2, JSON.stringify(dry.tenants.map((t) => t.error)));
    for (const tenant of tenants) {
      assert.deepEqual(outcomesOf(dry)[tenant.id], [
        { name: 'enrollments_course_id_idx', action: 'would-create' },
        { name: 'submissions_user_submitted_idx', action: 'would-create' },
        { name: 'audit_log_retention', action: 'would-delete', rows: expected[tenant.id] },
        { name: 'refresh_statistics', action: 'would-analyze' },
      ]);
      assert.equal(oldAuditRows(tenant), expected[tenant.id]);
      const tables = query(
        tenant,
        "select name from sqlite_master where name in ('dbfleet_optimizations', 'enrollments_course_id_idx')",
      );
      assert.deepEqual(tables, []);
    }

    const events: FleetEvent[] = [];
    const run = await optimize({ tenants, optimizations: demo, onEvent: (e) => events.push(e) });
    assert.equal(run.summary.succeeded, 2, JSON.stringify(run.tenants.map((t) => t.error)));
    for (const tenant of tenants) {
      assert.deepEqual(outcomesOf(run)[tenant.id], [
        { name: 'enrollments_course_id_idx', action: 'created' },
        { name: 'submissions_user_submitted_idx', action: 'created' },
        { name: 'audit_log_retention', action: 'deleted', rows: expected[tenant.id] },
        { name: 'refresh_statistics', action: 'analyzed' },
      ]);
      assert.equal(oldAuditRows(tenant), 0);
      const remaining = query<{ n: number }>(tenant, 'select count(*) as n from audit_log')[0]!.n;
      assert.equal(remaining, total[tenant.id]! - expected[tenant.id]!);
      const indexes = query<{ name: string; sql: string }>(
        tenant,
        "select name, sql from sqlite_master where type = 'index' and name in ('enrollments_course_id_idx', 'submissions_user_submitted_idx') order by name",
      );
      assert.deepEqual(
        indexes.map((i) => i.name),
        ['enrollments_course_id_idx', 'submissions_user_submitted_idx'],
      );
      assert.match(indexes[1]!.sql, /\("user_id", "submitted_at" DESC\)/);
      const stats = query(tenant, "select tbl from sqlite_stat1 where tbl = 'audit_log'");
      assert.ok(stats.length > 0, 'statistics were gathered');
    }
    const steps = events.filter((e) => e.type === 'step:done' && e.step === 'optimize');
    assert.equal(steps.length, 2);

    const rerun = await optimize({ tenants, optimizations: demo });
    for (const tenant of tenants) {
      const outcomes = outcomesOf(rerun)[tenant.id]!;
      assert.deepEqual(outcomes.slice(0, 3), [
        { name: 'enrollments_course_id_idx', action: 'skipped' },
        { name: 'submissions_user_submitted_idx', action: 'skipped' },
        { name: 'audit_log_retention', action: 'deleted', rows: 0 },
      ]);
      assert.equal(
        query<{ n: number }>(tenant, 'select count(*) as n from audit_log')[0]!.n,
        total[tenant.id]! - expected[tenant.id]!,
      );
    }
  });

  test('--only runs just the named optimization; an index spelled differently by a migration still matches', async () => {
    const tenant = tenants[0]!;
    const db = new Database(tenant.database);
    db.exec('CREATE INDEX IF NOT EXISTS Users_Created ON users ( created_at  ASC )');
    db.close();
    const definitions: Optimization[] = [
      { kind: 'index', name: 'users_created', table: 'users', columns: ['created_at'] },
      { kind: 'cleanup', name: 'drop_nothing', table: 'users', where: 'id < 0' },
    ];
    const report = await optimize({
      tenants: [tenant],
      optimizations: definitions,
      only: ['users_created'],
    });
    assert.deepEqual(outcomesOf(report)[tenant.id], [{ name: 'users_created', action: 'skipped' }]);
  });

  test('features SQLite lacks fail that optimization clearly; dialects restricts one to where it applies', async () => {
    const tenant = tenants[0]!;
    const report = await optimize({
      tenants: [tenant],
      optimizations: [
        { kind: 'index', name: 'users_email_gin', table: 'users', columns: ['email'], method: 'gin' },
        {
          kind: 'index',
          name: 'users_email_pg',
          table: 'users',
          columns: ['email'],
          method: 'gin',
          dialects: ['postgres'],
        },
        { kind: 'analyze', name: 'users_stats', tables: ['users'] },
      ],
    });
    const result = report.tenants[0]!;
    assert.equal(result.status, 'failed');
    assert.match(result.error!.message, /users_email_gin.*SQLite has no "gin" indexes/);
    assert.deepEqual(result.details.optimizations, [
      { name: 'users_email_gin', action: 'failed' },
      { name: 'users_stats', action: 'analyzed' },
    ]);
  });
});
