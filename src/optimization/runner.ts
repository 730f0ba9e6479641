import type { ErrorInfo } from '../core/errors.js';
import type { FleetEvent } from '../core/events.js';
import { withTenantLock } from '../dialect/tenant-lock.js';
import type { DialectAdapter, TenantSession, Timeouts } from '../dialect/types.js';
import { failureOf, type OptimizerRun, type StepResult } from './context.js';
import { optimizationsFor } from './planner.js';
import { ensureRecordTable, type RecordStatus, readPreviousRuns, writeRunRecord } from './records.js';
import { runAnalyze } from './run-analyze.js';
import { runCleanup } from './run-cleanup.js';
import { runCustom } from './run-custom.js';
import { runIndex } from './run-index.js';
import type { LoadedOptimization, OptimizationOutcome, OptimizeDetails } from './types.js';

export interface TenantOptimizeOptions {
  session: TenantSession;
  adapter: DialectAdapter;
  /** Already selected (`--only`); those not for this tenant's dialect are left out here. */
  optimizations: readonly LoadedOptimization[];
  /** Report what would happen, with exact row counts; change nothing (not even the record table). */
  dryRun?: boolean;
  /** The session's timeouts; each optimization's statements get their own and these are restored. */
  timeouts: Timeouts;
  /**
   * Take the tenant's session lock, so two runners never build the same index at once (default true).
   * The upgrade pipeline, which holds the lock already, passes false.
   */
  lock?: boolean;
  lockWaitMs?: number;
  emit: (event: FleetEvent) => void;
  signal?: AbortSignal;
}

export interface TenantOptimizeResult {
  details: OptimizeDetails;
  error?: ErrorInfo;
}

async function runOne(run: OptimizerRun, loaded: LoadedOptimization): Promise<StepResult> {
  const def = loaded.definition;
  switch (def.kind) {
    case 'index':
      return runIndex(run, def, loaded.checksum);
    case 'cleanup':
      return runCleanup(run, def);
    case 'analyze':
      return runAnalyze(run, def);
    case 'custom':
      return runCustom(run, def, loaded.checksum);
  }
}

function combine(errors: ErrorInfo[]): ErrorInfo | undefined {
  if (errors.length <= 1) return errors[0];
  return {
    code: errors[0]!.code,
    message: `${errors.length} optimizations failed: ${errors.map((e) => e.message).join(' | ')}`,
  };
}

async function withLock<T>(options: TenantOptimizeOptions, fn: () => Promise<T>): Promise<T> {
  if (options.lock === false) return fn();
  // Skipped, not failed, when another runner holds the tenant: it is not done, and not broken either.
  return withTenantLock(options.session, { waitMs: options.lockWaitMs ?? 0, signal: options.signal }, fn);
}

/**
 * Runs a tenant's optimizations in order. They are independent maintenance items: one that fails (or
 * finds a conflict) is reported and recorded, the next ones still run, and the tenant fails at the end
 * with every reason (Ola Hallengren's IndexOptimize works through its list the same way). An abort
 * stops before the next optimization.
 */
export async function optimizeTenant(options: TenantOptimizeOptions): Promise<TenantOptimizeResult> {
  const { session, adapter } = options;
  const tenantId = session.tenant.id;
  const driver = adapter.optimizer;
  const dryRun = options.dryRun === true;
  const signal = options.signal ?? new AbortController().signal;
  const list = optimizationsFor(options.optimizations, adapter.name);
  // Nothing for this tenant's dialect: nothing to lock, and no record table to create.
  if (list.length === 0) return { details: { optimizations: [] } };
  return withLock(options, async () => {
    const schema = session.tenant.schema;
    if (!dryRun) await ensureRecordTable(session.knex, schema);
    const run: OptimizerRun = {
      session,
      adapter,
      driver,
      dryRun,
      // The session's own timeouts may be the knexfile's rather than the run's defaults.
      timeouts: session.timeouts ?? options.timeouts,
      previous: await readPreviousRuns(session.knex, schema),
      emit: options.emit,
      signal,
    };
    const outcomes: OptimizationOutcome[] = [];
    const errors: ErrorInfo[] = [];
    for (const loaded of list) {
      const def = loaded.definition;
      if (signal.aborted) {
        errors.push({ code: 'INTERRUPTED', message: `interrupted before "${def.name}"` });
        break;
      }
      options.emit({ type: 'optimization:start', tenantId, name: def.name, kind: def.kind });
      const t0 = Date.now();
      let step: StepResult;
      try {
        step = await runOne(run, loaded);
      } catch (err) {
        step = { action: 'failed', error: failureOf(run, err, `${def.kind} "${def.name}"`) };
      }
      const durationMs = Date.now() - t0;
      const outcome: OptimizationOutcome = {
        name: def.name,
        action: step.action,
        ...(step.rows !== undefined ? { rows: step.rows } : {}),
      };
      outcomes.push(outcome);
      if (step.error) errors.push(step.error);
      if (!dryRun) {
        const status: RecordStatus =
          step.action === 'conflict' ? 'conflict' : step.error ? 'failed' : 'succeeded';
        await writeRunRecord(session.knex, schema, {
          name: def.name,
          kind: def.kind,
          checksum: loaded.checksum,
          action: step.action,
          status,
          ...(step.rows !== undefined ? { rows: step.rows } : {}),
          durationMs,
          ...(step.error ? { error: step.error.message } : {}),
        }).catch((err) =>
          errors.push(failureOf(run, err, `recording "${def.name}" in the tenant's run record`)),
        );
      }
      options.emit({
        type: 'optimization:done',
        tenantId,
        ...outcome,
        kind: def.kind,
        durationMs,
        ...(step.error ? { error: step.error } : {}),
      });
    }
    const error = combine(errors);
    return { details: { optimizations: outcomes }, ...(error ? { error } : {}) };
  });
}
