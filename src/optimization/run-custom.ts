import { withUserProcessing } from '../dialect/knex-processing.js';
import { failOnStrayTransaction } from '../dialect/stray-transaction.js';
import { type OptimizerRun, type StepResult, withSessionTimeouts } from './context.js';
import { customAlreadyDone } from './planner.js';
import type { CustomContext, CustomOptimization } from './types.js';

function rowsOf(result: unknown): number | undefined {
  if (typeof result === 'number' && Number.isFinite(result)) return result;
  if (result && typeof result === 'object' && typeof (result as { rows?: unknown }).rows === 'number') {
    return (result as { rows: number }).rows;
  }
  return undefined;
}

/**
 * Anything the other kinds do not cover, on the tenant's pinned connection with the run's timeouts. A
 * dry run does not call it: dbfleet cannot know what it would change.
 */
export async function runCustom(
  run: OptimizerRun,
  def: CustomOptimization,
  checksum: string,
): Promise<StepResult> {
  if (customAlreadyDone(def.once, run.previous.get(def.name), checksum)) return { action: 'skipped' };
  if (run.dryRun) return { action: 'would-run' };
  const { tenant } = run.session;
  const context: CustomContext = {
    tenant: { id: tenant.id, dialect: tenant.dialect, ...(tenant.schema ? { schema: tenant.schema } : {}) },
    signal: run.signal,
    log: (message) =>
      run.emit({ type: 'notice', tenantId: tenant.id, level: 'info', message: `${def.name}: ${message}` }),
  };
  const timeouts = {
    lockTimeoutMs: def.lockTimeoutMs ?? run.timeouts.lockTimeoutMs,
    statementTimeoutMs: def.statementTimeoutMs ?? run.timeouts.statementTimeoutMs,
  };
  const rows = rowsOf(
    await withSessionTimeouts(run, timeouts, async () => {
      const result = await withUserProcessing(run.session.knex, () => def.run(run.session.knex, context));
      await failOnStrayTransaction(run.session, `custom optimization "${def.name}"`);
      return result;
    }),
  );
  return { action: 'ran', ...(rows !== undefined ? { rows } : {}) };
}
