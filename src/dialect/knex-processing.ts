import type { Knex } from 'knex';

/**
 * knex's migrator turns a knexfile's `wrapIdentifier` and `postProcessResponse` off for its own queries
 * (the history table) and on for the migration's, through `disableProcessing()` / `enableProcessing()`
 * on the knex instance; the migration then sees `userParams` as `{ isProcessingDisabled: false, … }`.
 * dbfleet does the same: a tenant's knex starts with processing off (dbfleet's own queries), and user code
 * — a migration, a hook, a check, a custom optimization — runs with it on.
 *
 * These two methods are not in knex's type definitions (knex marks them "not public API yet"); knex is
 * pinned at 3.3.0 and test/conformance/ compares what a migration sees, `userParams` included, with
 * knex's own CLI.
 */
interface ProcessingSwitch {
  disableProcessing?(): void;
  enableProcessing?(): void;
}

const switchOf = (knex: Knex | Knex.Transaction): ProcessingSwitch =>
  knex as (Knex | Knex.Transaction) & ProcessingSwitch;

export function disableKnexProcessing(knex: Knex | Knex.Transaction): void {
  switchOf(knex).disableProcessing?.();
}

/**
 * Runs user code with the knexfile's identifier and response processing on, as knex's migrator does.
 * (A stand-in knex without the switch — a test's fake — simply runs the code.)
 */
export async function withUserProcessing<T>(
  knex: Knex | Knex.Transaction,
  fn: () => Promise<T> | T,
): Promise<T> {
  switchOf(knex).enableProcessing?.();
  try {
    return await fn();
  } finally {
    switchOf(knex).disableProcessing?.();
  }
}
