import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knexCliLoop } from '../baselines/knex-cli.js';
import { runDbfleet } from '../dbfleet-cli.js';
import { dbUrl } from '../fleet.js';
import { type ChildRun, runChild } from '../measure.js';
import { type BenchContext, measurement, rotated, type SuiteResult } from '../types.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

const READ_HISTORY = resolve(fileURLToPath(new URL('../floor/read-history.mjs', import.meta.url)));
const TWENTY_LINES = resolve(fileURLToPath(new URL('../floor/twenty-lines.mjs', import.meta.url)));

type System = 'migrate' | 'status' | 'floor' | 'twentyLines';

/** Up-to-date tenants timed for the no-op knex CLI loop. */
const CLI_SAMPLE = 10;

/**
 * no-op: every tenant is already up to date (the caller made the fleet from the migrated template).
 * dbfleet `migrate` and `status` against two floors, each a plain Node process at the same concurrency:
 * the bench's own (connect, read knex_migrations with id and batch, disconnect, with an application name)
 * and the twenty-line one a user could write (`pg`, connect, `select name from knex_migrations order by id`, end).
 * Every system runs once per round, in a rotating order; ratios are given for the medians and for the
 * best run of each (best of alternating rounds). Nothing changes, so the fleet is made once.
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
    twentyLines: async () => {
      const run = await runChild(process.execPath, [TWENTY_LINES, inventory, String(ctx.concurrency)]);
      if (run.code !== 0) throw new Error(`twenty-line floor failed: ${run.stderr.slice(-2000)}`);
      return run;
    },
  };

  // The first connection to a database made by CREATE DATABASE … TEMPLATE builds its relcache init file
  // (pg_internal.init): about 2.5–3 ms more server CPU than the next ones. Whatever ran first paid it for
  // every tenant — migrate, in round 1 — so one untimed pass of the twenty-line floor warms the fleet.
  const warm = await runners.twentyLines();
  ctx.log(`  no-op N=${n} warm-up (untimed): ${(warm.wallMs / 1000).toFixed(2)} s`);
  for (let r = 0; r < ctx.runs; r++) {
    for (const system of rotated(['migrate', 'status', 'floor', 'twentyLines'] as const, r)) {
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
    twentyLines: recorder.measurement(
      'twentyLines',
      `20-line floor: one Node process, pg, ${C} at a time: connect, select name from knex_migrations order by id, end`,
    ),
  };
  // What users do today when nothing is pending: the loop still starts one knex process per tenant.
  // Timed on a sample of the (up-to-date) fleet, extrapolated like the migrate suite's loop.
  const sample = Math.min(n, CLI_SAMPLE);
  const urls = Array.from({ length: sample }, (_, i) => dbUrl(ctx.fleet.tenantDb(i + 1)));
  const perTenant: number[] = [];
  for (let r = 0; r < ctx.runs; r++) {
    const round = await knexCliLoop(urls, ctx.knexfile);
    perTenant.push(round.perTenantRunsMs.reduce((a, b) => a + b, 0) / sample);
    ctx.log(
      `  no-op knex CLI loop sample ${r + 1}/${ctx.runs}: ${perTenant.at(-1)!.toFixed(0)} ms per tenant`,
    );
  }
  measurements.knexCliLoop = measurement(
    'knex migrate:latest CLI once per tenant, in a loop, nothing pending',
    perTenant.map((ms) => ms * n),
    {
      extrapolated: {
        sample,
        perTenantMs: perTenant.reduce((a, b) => a + b, 0) / perTenant.length,
        note: `extrapolated from a sample of ${sample} tenants (× ${ctx.runs} rounds): mean per-process time × N`,
      },
    },
  );
  const f = measurements.floor!.medianMs;
  const m = measurements.migrate!.medianMs;
  const t = measurements.twentyLines!.medianMs;
  const best = (system: System) => Math.min(...measurements[system]!.runsMs);
  const bestOf = `best of ${ctx.runs}`;
  return {
    suite: 'noop',
    n,
    measurements,
    ratios: {
      'migrate/floor': m / f,
      'status/floor': measurements.status!.medianMs / f,
      'migrate/twentyLines': m / t,
      'status/twentyLines': measurements.status!.medianMs / t,
      [`migrate/twentyLines (${bestOf})`]: best('migrate') / best('twentyLines'),
      [`status/twentyLines (${bestOf})`]: best('status') / best('twentyLines'),
      'knexCliLoop/migrate': measurements.knexCliLoop.medianMs / m,
    },
    setupSeconds: 0,
  };
}
