import { TenantError } from '../core/errors.js';
import {
  type OptimizerRun,
  retryPolicy,
  rootCause,
  type StepResult,
  withSessionTimeouts,
} from './context.js';
import { RetriesExhausted, withLockRetry } from './retry.js';
import type { AnalyzeOptimization } from './types.js';

/** Fresh planner statistics (ANALYZE / PRAGMA optimize / UPDATE STATISTICS), one table per statement. */
export async function runAnalyze(run: OptimizerRun, def: AnalyzeOptimization): Promise<StepResult> {
  if (run.dryRun) return { action: 'would-analyze' };
  const timeouts = {
    lockTimeoutMs: def.lockTimeoutMs ?? run.timeouts.lockTimeoutMs,
    statementTimeoutMs: def.statementTimeoutMs ?? run.timeouts.statementTimeoutMs,
  };
  const request = { ...(def.tables ? { tables: def.tables } : {}), onlyModified: def.onlyModified === true };
  try {
    const analyzed = await withSessionTimeouts(run, timeouts, () =>
      withLockRetry(
        () => run.driver.analyze(run.session.knex, request),
        retryPolicy(run, def.name, 'ANALYZE', def),
      ),
    );
    if (analyzed.length === 0) return { action: 'skipped' };
    run.emit({
      type: 'notice',
      tenantId: run.session.tenant.id,
      level: 'info',
      message: `${def.name}: analyzed ${analyzed.join(', ')}`,
    });
    return { action: 'analyzed' };
  } catch (err) {
    if (!(err instanceof RetriesExhausted)) throw err;
    throw new TenantError(
      'LOCK_TIMEOUT',
      `analyze "${def.name}": could not get its locks within ${timeouts.lockTimeoutMs}ms, ${err.attempts} attempts with backoff`,
      { cause: rootCause(err) },
    );
  }
}
