import { TenantError } from '../core/errors.js';
import type { BatchQuery } from '../dialect/optimize-types.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import {
  failureOf,
  type OptimizerRun,
  retryPolicy,
  rootCause,
  type StepResult,
  withSessionTimeouts,
} from './context.js';
import { type CleanupLimits, cleanupStop, nextBatchLimit, wouldDelete } from './planner.js';
import { RetriesExhausted, withLockRetry } from './retry.js';
import type { CleanupOptimization } from './types.js';
import { countPlaceholders, predicateProblem } from './validate.js';

export const DEFAULT_BATCH_SIZE = 1000;
export const DEFAULT_PAUSE_MS = 50;
/** A batch is a short transaction; one that runs this long is not short and is cancelled. */
export const DEFAULT_BATCH_STATEMENT_TIMEOUT_MS = 60_000;

async function prepare(run: OptimizerRun, def: CleanupOptimization): Promise<BatchQuery> {
  // Validation refused it already; checked again here because the library takes definitions too.
  const problem = predicateProblem(def.where ?? '');
  if (problem) throw new TenantError('INVALID_OPTIMIZATION', `cleanup "${def.name}": where ${problem}`);
  const table = await run.driver.describeTable(run.session.knex, def.table);
  if (!table)
    throw new TenantError('TABLE_NOT_FOUND', `cleanup "${def.name}": table "${def.table}" does not exist`);
  if (table.primaryKey.length === 0) {
    throw new TenantError(
      'NO_PRIMARY_KEY',
      `cleanup "${def.name}": table "${table.name}" has no primary key; batched cleanup walks the primary key so no batch rescans rows — add one, or use a custom optimization`,
    );
  }
  const bindings =
    typeof def.bindings === 'function' ? def.bindings({ dialect: run.adapter.name }) : (def.bindings ?? []);
  if (!Array.isArray(bindings) || bindings.length !== countPlaceholders(def.where)) {
    throw new TenantError(
      'INVALID_OPTIMIZATION',
      `cleanup "${def.name}": bindings must be an array of ${countPlaceholders(def.where)} value(s), one per placeholder`,
    );
  }
  return { table, key: table.primaryKey, where: def.where.trim(), bindings };
}

/**
 * Deletes the matching rows in batches, each its own short transaction, walking the primary key so
 * every batch starts where the previous one ended (pgroll's batched backfill, run as a delete). Between
 * batches it sleeps `pauseMs`. It stops cleanly at `maxRows` or `maxDurationMs` — what was deleted stays
 * deleted, and the next run simply finds the rest. A batch that cannot get its row locks within the lock
 * timeout is rolled back, retried with backoff, and finally fails the tenant with the rows so far.
 */
export async function runCleanup(run: OptimizerRun, def: CleanupOptimization): Promise<StepResult> {
  const { driver, session } = run;
  const timeouts = {
    lockTimeoutMs: def.lockTimeoutMs ?? run.timeouts.lockTimeoutMs,
    statementTimeoutMs: def.statementTimeoutMs ?? DEFAULT_BATCH_STATEMENT_TIMEOUT_MS,
  };
  const query = await prepare(run, def);
  if (run.dryRun) {
    // Counting may read the whole table: it gets the run's statement timeout, not the batch's.
    const matching = await withSessionTimeouts(
      run,
      { ...run.timeouts, lockTimeoutMs: timeouts.lockTimeoutMs },
      () => driver.countMatching(session.knex, query),
    );
    return { action: 'would-delete', rows: wouldDelete(matching, def.maxRows) };
  }

  const limits: CleanupLimits = {
    batchSize: def.batchSize ?? DEFAULT_BATCH_SIZE,
    ...(def.maxRows !== undefined ? { maxRows: def.maxRows } : {}),
    ...(def.maxDurationMs !== undefined ? { maxDurationMs: def.maxDurationMs } : {}),
  };
  const started = Date.now();
  let deleted = 0;
  let batches = 0;
  let after: unknown[] | undefined;
  const progress = () => ({ deleted, batches, elapsedMs: Date.now() - started });
  for (;;) {
    if (run.signal.aborted) {
      const message = `cleanup "${def.name}": interrupted after ${deleted} row(s), which stay deleted`;
      return { action: 'partial', rows: deleted, error: { code: 'INTERRUPTED', message } };
    }
    if (cleanupStop(limits, progress())) return { action: 'partial', rows: deleted };
    const limit = nextBatchLimit(limits, progress());
    let batch: Awaited<ReturnType<typeof driver.deleteBatch>>;
    try {
      batch = await withLockRetry(
        () =>
          session.shortTransaction(async (trx) => {
            await session.setTimeouts(timeouts, trx);
            return driver.deleteBatch(trx, { ...query, limit, ...(after ? { after } : {}) });
          }),
        retryPolicy(run, def.name, `batch ${batches + 1}`, def),
      );
    } catch (err) {
      const reason =
        err instanceof RetriesExhausted
          ? new TenantError(
              'LOCK_TIMEOUT',
              `cleanup "${def.name}": batch ${batches + 1} could not lock its rows in "${query.table.name}" within ${timeouts.lockTimeoutMs}ms, ${err.attempts} attempts with backoff; ${deleted} row(s) deleted before it stay deleted — the next run continues`,
              { cause: rootCause(err) },
            )
          : err;
      return { action: 'failed', rows: deleted, error: failureOf(run, reason, `cleanup "${def.name}"`) };
    }
    batches++;
    deleted += batch.deleted;
    if (batch.lastKey) after = batch.lastKey;
    run.emit({
      type: 'optimization:progress',
      tenantId: session.tenant.id,
      name: def.name,
      rows: deleted,
      batches,
    });
    if (batch.scanned < limit) return { action: 'deleted', rows: deleted };
    await abortableSleep(def.pauseMs ?? DEFAULT_PAUSE_MS, run.signal);
  }
}
