import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runDbfleet } from '../dbfleet-cli.js';
import { dbUrl } from '../fleet.js';
import { directBin } from '../floor/direct-bin.js';
import { rawUpgradeFloor } from '../floor/upgrade.js';
import type { ChildRun } from '../measure.js';
import { type BenchContext, rotated, type SuiteResult } from '../types.js';
import { cliCommands } from './availability.js';
import { assertHistoryRows } from './check.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

type System = 'dbfleet' | 'floor' | 'floorDirect';

/**
 * upgrade: fresh tenants, the whole runbook. dbfleet `upgrade` (backup + verify, migrate, optimize with
 * no optimizations, no smoke checks, backup + verify; its journal in a fresh SQLite file per run) against
 * the raw tools chained per tenant at the same concurrency.
 */
export async function upgradeSuite(
  ctx: BenchContext,
  n: number,
  migrationCount: number,
): Promise<SuiteResult> {
  if (!(await cliCommands()).has('upgrade')) {
    return {
      suite: 'upgrade',
      n,
      measurements: {},
      ratios: {},
      setupSeconds: 0,
      notMeasured: ['not measured: upgrade not available (no `dbfleet upgrade` command yet)'],
    };
  }
  const inventory = join(ctx.workDir, `inventory-${n}.json`);
  ctx.fleet.writeInventory(inventory, n);
  const dbs = Array.from({ length: n }, (_, i) => ({
    name: ctx.fleet.tenantDb(i + 1),
    url: dbUrl(ctx.fleet.tenantDb(i + 1)),
  }));
  const recorder = createRecorder<System>();
  const direct = directBin();
  const C = ctx.concurrency;
  const scratch = join(ctx.workDir, 'upgrade');
  // Empty folders: the bench measures the runbook's own steps, with no optimization or check to run.
  const none = join(ctx.workDir, 'none');
  mkdirSync(none, { recursive: true });
  let setupMs = 0;

  const runners: Record<System, () => Promise<ChildRun | undefined>> = {
    dbfleet: () =>
      runDbfleet('upgrade', {
        inventory,
        migrations: ctx.migrationsDir,
        concurrency: C,
        cwd: ctx.workDir,
        extra: [
          '--backup-dir',
          join(scratch, 'backups'),
          '--journal',
          join(scratch, 'journal.db'),
          '--optimizations',
          none,
          '--checks',
          none,
        ],
      }),
    floor: async () => void (await rawUpgradeFloor(dbs, ctx.floorSql, scratch, C)),
    floorDirect: async () => void (await rawUpgradeFloor(dbs, ctx.floorSql, scratch, C, direct)),
  };
  const systems: System[] = direct ? ['dbfleet', 'floor', 'floorDirect'] : ['dbfleet', 'floor'];

  // The fleet is created once; every run then starts from it emptied in place (see BenchFleet.wipe).
  setupMs += await ctx.fleet.reset(n, ctx.templates.empty);
  for (let r = 0; r < ctx.runs; r++) {
    for (const system of rotated(systems, r)) {
      setupMs += await ctx.fleet.wipe(n);
      rmSync(scratch, { recursive: true, force: true });
      mkdirSync(scratch, { recursive: true });
      const t = await timed(ctx.fleet.tenantPattern, runners[system]);
      await assertHistoryRows(dbs.at(-1)!.url, migrationCount, `upgrade ${system}`);
      recorder.add(system, t);
      ctx.log(
        `  upgrade N=${n} run ${r + 1}/${ctx.runs} ${system}: ${(t.ms / 1000).toFixed(2)} s, peak ${t.peakConnections} connections, load ${t.load.toFixed(1)}`,
      );
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  const measurements: SuiteResult['measurements'] = {
    dbfleet: recorder.measurement(
      'dbfleet',
      `dbfleet upgrade (CLI, --concurrency ${C}; no optimizations, no checks)`,
    ),
    floor: recorder.measurement(
      'floor',
      `floor: pg_dump + pg_restore --list, psql -f, pg_dump + pg_restore --list per tenant, ${C} in parallel`,
    ),
  };
  const ratios: SuiteResult['ratios'] = {
    'dbfleet/floor': measurements.dbfleet!.medianMs / measurements.floor!.medianMs,
  };
  if (direct) {
    measurements.floorDirect = recorder.measurement(
      'floorDirect',
      `floor, the versioned binaries (no Debian pg_wrapper): the same chain, ${C} in parallel`,
    );
    ratios['dbfleet/floorDirect'] = measurements.dbfleet!.medianMs / measurements.floorDirect.medianMs;
  }
  return {
    suite: 'upgrade',
    n,
    measurements,
    ratios,
    setupSeconds: setupMs / 1000,
  };
}
