import { TenantError } from '../core/errors.js';
import type { IndexSpec } from '../dialect/optimize-types.js';
import { parseIndexColumn } from './columns.js';
import {
  type OptimizerRun,
  retryPolicy,
  rootCause,
  type StepResult,
  withSessionTimeouts,
} from './context.js';
import { decideIndex, indexAction } from './planner.js';
import { RetriesExhausted, withLockRetry } from './retry.js';
import type { IndexOptimization } from './types.js';

export function indexSpec(def: IndexOptimization): IndexSpec {
  return {
    name: def.name,
    table: def.table,
    // Validation guarantees every column parses.
    columns: def.columns.map((c) => parseIndexColumn(c)!),
    unique: def.unique === true,
    ...(def.where ? { where: def.where.trim() } : {}),
    ...(def.include?.length ? { include: def.include } : {}),
    ...(def.method ? { method: def.method } : {}),
  };
}

/**
 * Converges one index: skip it when it is already right, build it when missing, heal an INVALID
 * leftover, rebuild it when dbfleet's own earlier definition changed, and report anything else as a
 * conflict. Builds never block writes where the engine can help it; a statement that cannot get its
 * lock backs off and retries (the failed build's INVALID leftover is dropped first by the driver).
 */
export async function runIndex(
  run: OptimizerRun,
  def: IndexOptimization,
  checksum: string,
): Promise<StepResult> {
  const { driver, session } = run;
  const knex = session.knex;
  const spec = indexSpec(def);
  // Building an index on a big table takes as long as it takes: no statement_timeout unless asked.
  const timeouts = {
    lockTimeoutMs: def.lockTimeoutMs ?? run.timeouts.lockTimeoutMs,
    statementTimeoutMs: def.statementTimeoutMs ?? 0,
  };
  return withSessionTimeouts(run, timeouts, async () => {
    const table = await driver.describeTable(knex, def.table);
    if (!table)
      throw new TenantError('TABLE_NOT_FOUND', `index "${def.name}": table "${def.table}" does not exist`);
    const state = await driver.inspectIndex(knex, spec, table);
    const previous = run.previous.get(def.name);
    const decision = decideIndex(state, previous, checksum);
    const action = indexAction(decision, run.dryRun);
    if (decision === 'conflict' && state.exists) {
      const why =
        previous?.kind === 'index'
          ? 'it was changed outside dbfleet after dbfleet built it'
          : 'dbfleet did not build it (a migration or a DBA did)';
      return {
        action,
        error: {
          code: 'INDEX_CONFLICT',
          message: `index "${def.name}" already exists as ${state.definition}, but the optimization defines ${state.wanted}; ${why}, so it is left alone — drop or rename it, or align the optimization`,
        },
      };
    }
    if (decision === 'skip') return { action };
    if (run.dryRun) {
      const sql = driver.createIndexSql(spec, table);
      run.emit({
        type: 'notice',
        tenantId: session.tenant.id,
        level: 'info',
        message: `${def.name}: ${action}: ${sql}`,
      });
      return { action };
    }
    try {
      await withLockRetry(
        async () => {
          if (decision === 'heal') await driver.dropIndex(knex, spec, table);
          if (decision === 'rebuild') await driver.rebuildIndex(knex, spec, table);
          else await driver.createIndex(knex, spec, table);
        },
        retryPolicy(run, def.name, 'the index build', def),
      );
    } catch (err) {
      if (!(err instanceof RetriesExhausted)) throw err;
      // A concurrent build that timed out after it had begun leaves an INVALID index, and dropping it
      // waits for the same transactions: say so rather than promise nothing was left behind.
      const after = await driver.inspectIndex(knex, spec, table).catch(() => undefined);
      const leftover =
        after?.exists && !after.valid
          ? 'its unfinished build is left INVALID (unused by queries, still updated by writes; dropping it waits for the same transactions) — the next run drops it and builds again'
          : 'nothing was left behind — the next run tries again';
      throw new TenantError(
        'LOCK_TIMEOUT',
        `index "${def.name}": could not get the locks to build it on "${table.name}" within ${timeouts.lockTimeoutMs}ms, ${err.attempts} attempts with backoff (a long-running transaction on the table, or for a concurrent build any older open transaction of the database?); ${leftover}`,
        { cause: rootCause(err) },
      );
    }
    return { action };
  });
}
