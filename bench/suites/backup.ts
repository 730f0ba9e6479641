import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DbfleetRun, runDbfleet } from '../dbfleet-cli.js';
import { dbUrl } from '../fleet.js';
import { pgDumpFloor } from '../floor/backup.js';
import { directBin } from '../floor/direct-bin.js';
import type { ChildRun } from '../measure.js';
import { type BenchContext, rotated, type SuiteResult } from '../types.js';
import { cliCommands } from './availability.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

type System = 'dbfleet' | 'floor' | 'floorDirect';
function assertVerified(run: DbfleetRun): DbfleetRun {
  const unverified = run.report.tenants.find((t) => !(t.backup as { verified?: unknown } | null)?.verified);
  if (unverified)
    throw new Error(`dbfleet backup left ${unverified.id} unverified: ${JSON.stringify(unverified.backup)}`);
  return run;
}

/**
 * backup + light verify on the migrated fleet: `dbfleet backup` (CLI) against `pg_dump -Fc` +
 * `pg_restore --list` run directly at the same concurrency. Where the command does not exist (an older
 * checkout), only the floor is measured and the report says so.
 */
export async function backupSuite(ctx: BenchContext, n: number): Promise<SuiteResult> {
  const inventory = join(ctx.workDir, `inventory-${n}.json`);
  ctx.fleet.writeInventory(inventory, n);
  const dbs = Array.from({ length: n }, (_, i) => ({
    name: ctx.fleet.tenantDb(i + 1),
    url: dbUrl(ctx.fleet.tenantDb(i + 1)),
  }));
  const available = (await cliCommands()).has('backup');
  const direct = directBin();
  const floors: System[] = direct ? ['floor', 'floorDirect'] : ['floor'];
  const systems: System[] = available ? ['dbfleet', ...floors] : floors;
  const recorder = createRecorder<System>();
  const dir = join(ctx.workDir, 'backups');
  const C = ctx.concurrency;

  const runners: Record<System, () => Promise<ChildRun | undefined>> = {
    dbfleet: async () =>
      assertVerified(
        await runDbfleet('backup', {
          inventory,
          migrations: ctx.migrationsDir,
          concurrency: C,
          cwd: ctx.workDir,
          extra: ['--backup-dir', dir],
        }),
      ),
    floor: async () => void (await pgDumpFloor(dbs, dir, C)),
    floorDirect: async () => void (await pgDumpFloor(dbs, dir, C, direct)),
  };

  for (let r = 0; r < ctx.runs; r++) {
    for (const system of rotated(systems, r)) {
      // Every run starts from an empty backup folder: no run reuses or prunes another's archives.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const t = await timed(ctx.fleet.tenantPattern, runners[system]);
      recorder.add(system, t);
      ctx.log(
        `  backup N=${n} run ${r + 1}/${ctx.runs} ${system}: ${(t.ms / 1000).toFixed(2)} s, peak ${t.peakConnections} connections, load ${t.load.toFixed(1)}`,
      );
    }
  }
  rmSync(dir, { recursive: true, force: true });

  const measurements: SuiteResult['measurements'] = {
    floor: recorder.measurement(
      'floor',
      `floor: pg_dump -Fc + pg_restore --list per database, ${C} in parallel`,
    ),
  };
  if (direct)
    measurements.floorDirect = recorder.measurement(
      'floorDirect',
      `floor, the versioned binaries (no Debian pg_wrapper): pg_dump -Fc + pg_restore --list, ${C} in parallel`,
    );
  const result: SuiteResult = { suite: 'backup', n, measurements, ratios: {}, setupSeconds: 0 };
  if (available) {
    const label = `dbfleet backup (CLI, --concurrency ${C}; light verify, counts fingerprint)`;
    const dbfleet = recorder.measurement('dbfleet', label);
    measurements.dbfleet = dbfleet;
    result.ratios['dbfleet/floor'] = dbfleet.medianMs / measurements.floor!.medianMs;
    if (measurements.floorDirect)
      result.ratios['dbfleet/floorDirect'] = dbfleet.medianMs / measurements.floorDirect.medianMs;
  } else {
    result.notMeasured = ['dbfleet: not measured: backup not available (no `dbfleet backup` command)'];
  }
  return result;
}
