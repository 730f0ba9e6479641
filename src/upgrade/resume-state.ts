import { UsageError } from '../core/errors.js';
import type { TenantResult } from '../core/events.js';
import type { Tenant } from '../core/tenant.js';
import type { Journal } from '../journal/journal.js';
import { findRun, runTenants } from '../journal/read.js';
import { parseProcessIdentity, processState } from '../util/process-alive.js';
import { type PreviousSteps, previousSteps } from './previous-steps.js';

export interface ResumeState {
  runId: string;
  waveOf: Map<string, number>;
  finished: Set<string>;
  /** The gates the run was started with (canary, budget): a resume keeps to them. */
  options: Record<string, unknown>;
  /** The finished tenants' journaled results: the resumed run's report covers the whole run. */
  finishedResults: TenantResult[];
  previous: PreviousSteps;
  /** Tenants skipped `HOST_DOWN`: never read, not even by the run's pre-flight. */
  notTried: Set<string>;
}

/** Skipped tenants a resume runs: not done, and nothing of theirs failed. */
const RETRIED_SKIPS = new Set(['NOT_STARTED', 'INTERRUPTED', 'JOURNAL_FAILED', 'LOCKED', 'HOST_DOWN']);

/**
 * What a killed (or interrupted) upgrade run left, for `upgrade --resume`: finished tenants, each
 * unfinished tenant's completed steps, and the gates the run started with.
 */
export async function loadResume(
  journal: Journal,
  resume: string | true,
  tenants: readonly Tenant[],
): Promise<ResumeState> {
  const run = await findRun(journal.knex, resume === true ? undefined : resume, 'upgrade');
  if (!run)
    throw new UsageError(
      resume === true ? 'no upgrade run in the journal to resume' : `no upgrade run ${resume} in the journal`,
    );
  // The run is still going (its process is alive on this host): a second runner taking it over would find
  // every in-flight tenant LOCKED, "roll it back" and report it half-upgraded while the first finishes it.
  const owner = run.status === 'running' ? parseProcessIdentity(run.owner) : undefined;
  // (This very process may resume a run it gave up on itself, as a library caller does after an abort.)
  if (owner && owner.pid !== process.pid && processState(owner) === 'alive')
    throw new UsageError(
      `run ${run.runId} is still running (process ${owner.pid} on this host): let it finish, or stop it (Ctrl-C) and then resume it`,
    );
  const rows = await runTenants(journal.knex, run.runId);
  const known = new Set(tenants.map((t) => t.id));
  const missing = rows.filter((r) => !known.has(r.tenantId)).map((r) => r.tenantId);
  if (missing.length)
    throw new UsageError(
      `run ${run.runId} has tenants that are not in the inventory now: ${missing.join(', ')}`,
    );
  const previous = await previousSteps(journal.knex, run.runId);
  const finishedRows = rows.filter(
    (r) =>
      r.status === 'succeeded' ||
      r.status === 'failed' ||
      // Not started, stopped part-way by an interrupt (its step left unfinished), or held by another
      // runner (skipped is not done): the resume runs it.
      (r.status === 'skipped' && !RETRIED_SKIPS.has(r.error?.code ?? '')),
  );
  const finishedResults = finishedRows.map(
    (r): TenantResult => ({
      id: r.tenantId,
      status: r.status as TenantResult['status'],
      durationMs: r.durationMs ?? 0,
      ...(r.error ? { error: r.error } : {}),
      details: r.details ?? { steps: [], applied: [], backups: {}, maintenance: 'untouched' },
    }),
  );
  return {
    runId: run.runId,
    options: run.options ?? {},
    waveOf: new Map(rows.map((r) => [r.tenantId, r.wave])),
    finished: new Set(finishedRows.map((r) => r.tenantId)),
    finishedResults,
    previous,
    notTried: new Set(
      rows.filter((r) => r.status === 'skipped' && r.error?.code === 'HOST_DOWN').map((r) => r.tenantId),
    ),
  };
}
