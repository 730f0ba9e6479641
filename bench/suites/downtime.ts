import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { report } from '../../src/index.js';
import { runDbfleet } from '../dbfleet-cli.js';
import { dbUrl } from '../fleet.js';
import { median } from '../measure.js';
import type { BenchContext, SuiteResult } from '../types.js';
import { assertHistoryRows } from './check.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

/**
 * downtime: what a customer sees of an upgrade. `dbfleet upgrade` on fresh tenants (backup + verify,
 * migrate, backup + verify; no optimizations or checks) with a before-tenant and an after-tenant hook,
 * so every tenant has a maintenance window; the windows are read back from the run's journal with the
 * library's `report()` — the p50/p95/max a user's `dbfleet report` shows — beside the run's wall time.
 */
export async function downtimeSuite(
  ctx: BenchContext,
  n: number,
  migrationCount: number,
): Promise<SuiteResult> {
  const inventory = join(ctx.workDir, `inventory-${n}.json`);
  ctx.fleet.writeInventory(inventory, n);
  const scratch = join(ctx.workDir, 'downtime');
  const none = join(ctx.workDir, 'none');
  mkdirSync(none, { recursive: true });
  // The hooks a real fleet would point at its app's maintenance flag; here any statement will do.
  const config = join(ctx.workDir, 'downtime.config.mjs');
  writeFileSync(config, "export default { hooks: { beforeTenant: 'select 1', afterTenant: 'select 1' } };\n");
  const recorder = createRecorder<'dbfleet'>();
  const windows: { p50: number; p95: number; max: number }[] = [];
  let setupMs = await ctx.fleet.reset(n, ctx.templates.empty);

  for (let r = 0; r < ctx.runs; r++) {
    setupMs += await ctx.fleet.wipe(n);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    const journal = join(scratch, 'journal.db');
    const t = await timed(ctx.fleet.tenantPattern, () =>
      runDbfleet('upgrade', {
        inventory,
        migrations: ctx.migrationsDir,
        concurrency: ctx.concurrency,
        cwd: ctx.workDir,
        extra: [
          '--config',
          config,
          '--backup-dir',
          join(scratch, 'backups'),
          '--journal',
          journal,
          '--optimizations',
          none,
          '--checks',
          none,
        ],
      }),
    );
    await assertHistoryRows(dbUrl(ctx.fleet.tenantDb(n)), migrationCount, 'downtime upgrade');
    recorder.add('dbfleet', t);
    const { stats, stillIn } = (await report({ journal })).maintenance;
    if (
      stats.count !== n ||
      stillIn.length > 0 ||
      stats.p50 === null ||
      stats.p95 === null ||
      stats.max === null
    )
      throw new Error(
        `downtime: ${stats.count} of ${n} windows measured, ${stillIn.length} still in maintenance`,
      );
    windows.push({ p50: stats.p50, p95: stats.p95, max: stats.max });
    ctx.log(
      `  downtime N=${n} run ${r + 1}/${ctx.runs}: ${(t.ms / 1000).toFixed(2)} s for the run; window p50 ${stats.p50} ms, p95 ${stats.p95} ms, max ${stats.max} ms`,
    );
  }
  rmSync(scratch, { recursive: true, force: true });
  const wall = recorder.measurement(
    'dbfleet',
    `dbfleet upgrade with maintenance hooks (CLI, --concurrency ${ctx.concurrency}; no optimizations, no checks)`,
  );
  const p95 = median(windows.map((w) => w.p95));
  return {
    suite: 'downtime',
    n,
    measurements: { dbfleet: wall },
    // Seconds, medians over the runs; `p95 window / run` is the share of the run a p95 customer is closed.
    ratios: {
      'dbfleet: window p50 (s)': median(windows.map((w) => w.p50)) / 1000,
      'dbfleet: window p95 (s)': p95 / 1000,
      'dbfleet: window max (s)': median(windows.map((w) => w.max)) / 1000,
      'dbfleet: p95 window / run': p95 / wall.medianMs,
    },
    setupSeconds: setupMs / 1000,
  };
}
