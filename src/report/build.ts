import type { Knex } from 'knex';
import { redactDeep } from '../core/redact.js';
import { findRun, type RunRow, runSteps, runTenants, type StepRow } from '../journal/read.js';
import { MIGRATIONS, RUNS } from '../journal/schema.js';
import { assembleDocument } from './assemble.js';
import { driftSection, recordedFingerprints } from './drift.js';
import { type MigrationLogRow, type RunSlice, TenantHistory } from './history.js';
import { pickRun } from './pick-run.js';
import { laterRollbacks } from './rolled-back.js';
import { topLevelSteps } from './top-level-steps.js';
import type { FleetDocument } from './types.js';

export interface BuildReportOptions {
  /** The run to report on; default the newest upgrade run, else the newest run (see pickRun). */
  runId?: string;
  /** How many of the slowest tenants to list (default 10). */
  slowest?: number;
  /** The report's timestamp (epoch ms); default now. */
  now?: number;
}

const PAGE = 100;

async function migrationLog(knex: Knex, runId: string): Promise<MigrationLogRow[]> {
  const rows = await knex(MIGRATIONS)
    .where({ run_id: runId })
    .orderBy('id')
    .select('tenant_id', 'name', 'direction');
  return rows.map((r: { tenant_id: string; name: string; direction: string }) => ({
    tenantId: String(r.tenant_id),
    name: String(r.name),
    direction: String(r.direction),
  }));
}

/** `journaled`: the run's steps when the caller read them already. */
async function loadSlice(knex: Knex, run: RunRow, journaled?: readonly StepRow[]): Promise<RunSlice> {
  const [tenants, steps, migrations] = [
    await runTenants(knex, run.runId),
    topLevelSteps(journaled ?? (await runSteps(knex, run.runId))),
    await migrationLog(knex, run.runId),
  ];
  return { run, tenants, steps, migrations };
}

/** The runs before `run` (in `findRun`'s order: started_at, then run id), newest first, a page at a time. */
async function* runsBefore(knex: Knex, run: RunRow): AsyncGenerator<RunRow> {
  for (let offset = 0; ; offset += PAGE) {
    const rows: Record<string, unknown>[] = await knex(RUNS)
      .where('started_at', '<', run.startedAt)
      .orWhere((q) => q.where('started_at', run.startedAt).andWhere('run_id', '<', run.runId))
      .orderBy('started_at', 'desc')
      .orderBy('run_id', 'desc')
      .offset(offset)
      .limit(PAGE)
      .select('run_id');
    for (const r of rows) {
      const older = await findRun(knex, String(r.run_id));
      if (older) yield older;
    }
    if (rows.length < PAGE) return;
  }
}

/**
 * The fleet report of one run (default: the newest upgrade run), read from the journal: per tenant its outcome,
 * step timings, maintenance window and problems, plus — from this run and the ones before it — its
 * current schema version and newest backup with its verification. Runs after the reported one are
 * ignored, so an old run's report reads as it did then — except a `rollback --run` of it, which the
 * report names: an upgrade that was undone does not stand. Rejects with a UsageError when there is no
 * such run. The document is pure data, redacted, for the renderers.
 */
export async function buildFleetReport(knex: Knex, options: BuildReportOptions = {}): Promise<FleetDocument> {
  const { run } = await pickRun(knex, options.runId);
  // Every step of this run, parts included: an upgrade's structure prints are in its inner `backup` steps.
  const journaled = await runSteps(knex, run.runId);
  const slice = await loadSlice(knex, run, journaled);
  const history = new TenantHistory(slice.tenants.map((t) => t.tenantId));
  history.addRun(slice);
  if (!history.done) {
    for await (const older of runsBefore(knex, run)) {
      history.addRun(await loadSlice(knex, older));
      if (history.done) break;
    }
  }
  const rollbacks = await laterRollbacks(knex, run);
  const doc = assembleDocument({
    slice,
    history,
    now: options.now ?? Date.now(),
    slowest: options.slowest ?? 10,
    ...(rollbacks ? { rollbacks } : {}),
  });
  const drift = driftSection(await recordedFingerprints(doc.tenants, journaled));
  return redactDeep(drift ? { ...doc, drift } : doc);
}
