import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { DBFLEET_BIN, runDbfleet } from '../dbfleet-cli.js';
import { dbUrl } from '../fleet.js';
import { liveChildren, median } from '../measure.js';
import type { BenchContext, SuiteResult } from '../types.js';
import { assertHistoryRows } from './check.js';
import { createRecorder } from './recorder.js';
import { timed } from './timed.js';

const WORKERS = 3;
const WORKER_CONCURRENCY = 4;
/** The one runner gets what the workers have together. */
const RUNNER_CONCURRENCY = WORKERS * WORKER_CONCURRENCY;

/**
 * queue: the same `migrate` of a fresh fleet by one runner at concurrency 12, and by a coordinator
 * (`migrate --queue`) with three `dbfleet worker`s at concurrency 4 each on this machine — what the
 * queue costs when it buys nothing but the shared run. The workers are started (and connected) before
 * the timed runs, as long-running workers are; the coordinator's start-up is timed like the runner's.
 * Also: the coordinator's own CPU per tenant, and the queued run's extra wall time per tenant.
 */
export async function queueSuite(ctx: BenchContext, n: number, migrationCount: number): Promise<SuiteResult> {
  const inventory = join(ctx.workDir, `inventory-${n}.json`);
  ctx.fleet.writeInventory(inventory, n);
  const control = `${ctx.fleet.prefix}_qctl`;
  await ctx.fleet.createEmpty(control);
  const queue = ['--queue', dbUrl(control)];
  const common = ['--tenants', inventory, '--migrations', ctx.migrationsDir];
  const workers: ChildProcess[] = [];
  let setupMs = await ctx.fleet.reset(n, ctx.templates.empty);
  try {
    for (let i = 0; i < WORKERS; i++) {
      const child = spawn(
        process.execPath,
        [DBFLEET_BIN, 'worker', ...queue, ...common, '--concurrency', String(WORKER_CONCURRENCY), '--json'],
        { cwd: ctx.workDir, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      liveChildren.add(child);
      workers.push(child);
    }
    await waitForWorkers(control, WORKERS);
    const recorder = createRecorder<'runner' | 'queued'>();
    const coordinatorCpu: number[] = [];
    for (let r = 0; r < ctx.runs; r++) {
      // Rotating order: neither system always runs on a machine the other just warmed or loaded.
      const order = r % 2 === 0 ? (['runner', 'queued'] as const) : (['queued', 'runner'] as const);
      for (const system of order) {
        setupMs += await ctx.fleet.wipe(n);
        const t = await timed(ctx.fleet.tenantPattern, () =>
          runDbfleet('migrate', {
            inventory,
            migrations: ctx.migrationsDir,
            concurrency: RUNNER_CONCURRENCY,
            cwd: ctx.workDir,
            ...(system === 'queued' ? { extra: queue } : {}),
          }),
        );
        await assertHistoryRows(dbUrl(ctx.fleet.tenantDb(n)), migrationCount, `queue ${system}`);
        recorder.add(system, t);
        if (system === 'queued' && t.value.userS !== undefined && t.value.sysS !== undefined)
          coordinatorCpu.push(t.value.userS + t.value.sysS);
        ctx.log(`  queue N=${n} run ${r + 1}/${ctx.runs} ${system}: ${(t.ms / 1000).toFixed(2)} s`);
      }
    }
    const runner = recorder.measurement(
      'runner',
      `dbfleet migrate, one runner (--concurrency ${RUNNER_CONCURRENCY})`,
    );
    const queued = recorder.measurement(
      'queued',
      `dbfleet migrate --queue, ${WORKERS} workers × --concurrency ${WORKER_CONCURRENCY} on this machine`,
    );
    return {
      suite: 'queue',
      n,
      measurements: { runner, queued },
      ratios: {
        'queued vs one runner': queued.medianMs / runner.medianMs,
        'queued: extra wall ms per tenant': (queued.medianMs - runner.medianMs) / n,
        ...(coordinatorCpu.length
          ? { 'coordinator: CPU ms per tenant': (median(coordinatorCpu) * 1000) / n }
          : {}),
      },
      setupSeconds: setupMs / 1000,
    };
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => (w.exitCode === null ? new Promise((done) => w.once('close', done)) : undefined)),
    );
    await ctx.fleet.drop(control);
  }
}

/** Until `count` workers hold their control connections (they name themselves dbfleet-worker …). */
async function waitForWorkers(control: string, count: number): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: dbUrl(control) });
  await client.connect();
  try {
    const end = Date.now() + 60_000;
    while (Date.now() < end) {
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = $1 and starts_with(application_name, 'dbfleet-worker')",
        [control],
      );
      if ((rows[0]?.n ?? 0) >= count) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`queue: ${count} workers did not connect to the control database within 60 s`);
  } finally {
    await client.end();
  }
}
