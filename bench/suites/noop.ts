import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDbfleet } from '../dbfleet-cli.js';
import { type ChildRun, runChild } from '../measure.js';
import { type BenchContext, rotated, type SuiteResult } from '../types.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

const READ_HISTORY = resolve(fileURLToPath(new URL('../floor/read-history.mjs', import.meta.url)));

type System = 'migrate' | 'status' | 'floor';

/**
 * no-op: every tenant is already up to date (the caller made the fleet from the migrated template).
 * dbfleet `migrate` and `status` against the floor — connect, read knex_migrations, disconnect — run
 * as a plain Node process at the same concurrency. Nothing changes, so the fleet is made once.
 */
export async function noopSuite(ctx: BenchContext, n: number): Promise<SuiteResult> {
  const inventory = join(ctx.workDir, `inventory-${n}.json`);
  ctx.fleet.writeInventory(inventory, n);
  const recorder = createRecorder<System>();
  const opts = { inventory, migrations: ctx.migrationsDir, concurrency: ctx.concurrency, cwd: ctx.workDir };

  const runners: Record<System, () => Promise<ChildRun>> = {
    migrate: async () => {
      const run = await runDbfleet('migrate', opts);
      const changed = run.report.tenants.find((t) => (t.applied as string[]).length > 0);
      if (changed) throw new Error(`no-op migrate applied something on ${changed.id}`);
      return run;
    },
    status: async () => {
      const run = await runDbfleet('status', opts);
      const pending = run.report.tenants.find((t) => (t.pending as string[]).length > 0);
      if (pending) throw new Error(`status reports pending migrations on ${pending.id}`);
      return run;
    },
    floor: async () => {
      const run = await runChild(process.execPath, [READ_HISTORY, inventory, String(ctx.concurrency)]);
      if (run.code !== 0) throw new Error(`read-history floor failed: ${run.stderr.slice(-2000)}`);
      return run;
    },
  };

  for (let r = 0; r < ctx.runs; r++) {
    for (const system of rotated(['migrate', 'status', 'floor'] as const, r)) {
      const t = await timed(ctx.fleet.tenantPattern, runners[system]);
      recorder.add(system, t);
      ctx.log(
        `  no-op N=${n} run ${r + 1}/${ctx.runs} ${system}: ${(t.ms / 1000).toFixed(2)} s, peak ${t.peakConnections} connections, load ${t.load.toFixed(1)}`,
      );
    }
  }
  const C = ctx.concurrency;
  const measurements: SuiteResult['measurements'] = {
    migrate: recorder.measurement('migrate', `dbfleet migrate, nothing pending (CLI, --concurrency ${C})`),
    status: recorder.measurement('status', `dbfleet status (CLI, --concurrency ${C})`),
    floor: recorder.measurement(
      'floor',
      `floor: plain Node + pg, connect + read knex_migrations, ${C} at a time`,
    ),
  };
  const f = measurements.floor!.medianMs;
  return {
    suite: 'noop',
    n,
    measurements,
    ratios: {
      'migrate/floor': measurements.migrate!.medianMs / f,
      'status/floor': measurements.status!.medianMs / f,
    },
    setupSeconds: 0,
  };
}
