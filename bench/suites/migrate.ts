import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knexSequential } from '../baselines/knex-sequential.js';
import { runDbfleet } from '../dbfleet-cli.js';
import { dbUrl } from '../fleet.js';
import { psqlFloor } from '../floor/psql.js';
import { type ChildRun, runChild } from '../measure.js';
import { type BenchContext, measurement, rotated, type SuiteResult } from '../types.js';
import { assertHistoryRows } from './check.js';
import type { CliSampleRounds } from './knex-cli-sample.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

export type MigrateSystem = 'dbfleet' | 'floor' | 'floorOneProcess' | 'knexSequential';
const ALL: readonly MigrateSystem[] = ['dbfleet', 'floor', 'floorOneProcess', 'knexSequential'];
const APPLY_SQL = resolve(fileURLToPath(new URL('../floor/apply-sql.mjs', import.meta.url)));

/**
 * migrate: N fresh tenants (copies of an empty template, made before each timed run), the bench's
 * migrations applied by dbfleet, by psql (the floor) and by knex in one process; the knex CLI loop is
 * extrapolated from its sample.
 */
export async function migrateSuite(
  ctx: BenchContext,
  n: number,
  migrationCount: number,
  options: { cli?: CliSampleRounds; systems?: readonly MigrateSystem[] } = {},
): Promise<SuiteResult> {
  const { cli, systems = ALL } = options;
  const inventory = join(ctx.workDir, `inventory-${n}.json`);
  ctx.fleet.writeInventory(inventory, n);
  const urls = Array.from({ length: n }, (_, i) => dbUrl(ctx.fleet.tenantDb(i + 1)));
  const recorder = createRecorder<MigrateSystem>();
  let setupMs = 0;

  const runners: Record<MigrateSystem, () => Promise<ChildRun | undefined>> = {
    dbfleet: async () => {
      const run = await runDbfleet('migrate', {
        inventory,
        migrations: ctx.migrationsDir,
        concurrency: ctx.concurrency,
        cwd: ctx.workDir,
      });
      const short = run.report.tenants.find((t) => (t.applied as string[]).length !== migrationCount);
      if (short)
        throw new Error(`dbfleet migrate applied ${(short.applied as string[]).length} on ${short.id}`);
      return run;
    },
    floor: async () => void (await psqlFloor(urls, ctx.floorSql, ctx.concurrency)),
    floorOneProcess: async () => {
      const run = await runChild(process.execPath, [
        APPLY_SQL,
        inventory,
        ctx.floorSql,
        String(ctx.concurrency),
      ]);
      if (run.code !== 0) throw new Error(`one-process floor failed: ${run.stderr.slice(-2000)}`);
      return run;
    },
    knexSequential: async () => void (await knexSequential(urls, ctx.migrationsDir)),
  };

  // The fleet is created once; every run then starts from it emptied in place (see BenchFleet.wipe).
  setupMs += await ctx.fleet.reset(n, ctx.templates.empty);
  for (let r = 0; r < ctx.runs; r++) {
    for (const system of rotated(systems, r)) {
      setupMs += await ctx.fleet.wipe(n);
      const t = await timed(ctx.fleet.tenantPattern, runners[system]);
      await assertHistoryRows(urls.at(-1)!, migrationCount, system);
      recorder.add(system, t);
      ctx.log(
        `  migrate N=${n} run ${r + 1}/${ctx.runs} ${system}: ${(t.ms / 1000).toFixed(2)} s, peak ${t.peakConnections} connections, load ${t.load.toFixed(1)}`,
      );
    }
  }

  const C = ctx.concurrency;
  const labels: Record<MigrateSystem, string> = {
    dbfleet: `dbfleet migrate (CLI child process, --concurrency ${C})`,
    floor: `floor: psql -f per database, ${C} in parallel`,
    floorOneProcess: `lower floor (informational): one plain Node + pg process, the SQL file in one round trip per tenant, ${C} at a time`,
    knexSequential: 'knex migrate.latest() per tenant, one process, sequential',
  };
  const measurements: SuiteResult['measurements'] = {};
  for (const system of systems) measurements[system] = recorder.measurement(system, labels[system]);
  if (cli) {
    const perTenant = cli.perTenantMsByRound;
    measurements.knexCliLoop = measurement(
      'knex migrate:latest CLI once per tenant, in a loop',
      perTenant.map((ms) => ms * n),
      {
        extrapolated: {
          sample: cli.sample,
          perTenantMs: perTenant.reduce((a, b) => a + b, 0) / perTenant.length,
          note: `extrapolated from a sample of ${cli.sample} tenants (× ${cli.rounds.length} rounds): mean per-process time × N`,
        },
      },
    );
  }
  const ratios: Record<string, number> = {};
  const d = measurements.dbfleet?.medianMs;
  if (d !== undefined) {
    if (measurements.floor) ratios['dbfleet/floor'] = d / measurements.floor.medianMs;
    if (measurements.floorOneProcess)
      ratios['dbfleet/floorOneProcess'] = d / measurements.floorOneProcess.medianMs;
    if (measurements.knexSequential)
      ratios['knexSequential/dbfleet'] = measurements.knexSequential.medianMs / d;
    if (measurements.knexCliLoop) ratios['knexCliLoop/dbfleet'] = measurements.knexCliLoop.medianMs / d;
  }
  // The most any tool could gain over the CLI loop here: the loop against the floor itself.
  if (measurements.knexCliLoop && measurements.floor) {
    ratios['knexCliLoop/floor'] = measurements.knexCliLoop.medianMs / measurements.floor.medianMs;
  }
  return { suite: 'migrate', n, measurements, ratios, setupSeconds: setupMs / 1000 };
}
