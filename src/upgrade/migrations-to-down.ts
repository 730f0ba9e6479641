import type { TenantContext } from '../fleet/run-fleet.js';
import type { BackupTaken, UpgradeOperations } from './types.js';

/**
 * The migrations whose downs `rollback --run --with down` runs for a tenant, in the order they were applied
 * (`down` runs them newest first). Normally the ones the upgrade run journaled. But a migration is journaled
 * only after it committed: a run killed in between left one applied in the tenant and missing from the
 * journal, and its down was never run — the rollback failed ROLLBACK_MISMATCH (or NEWER_MIGRATIONS_APPLIED
 * when a journaled one came before it) and left the tenant upgraded. So for a tenant whose migrate step the
 * run left unfinished, they are what the tenant's history holds after the rows it held at the pre-upgrade
 * backup (`appliedSince`: the run's own batch only, never an older migration nor a later one's) — together
 * with the journaled ones, which `down` skips if no longer applied.
 */
export async function migrationsToDown(
  ctx: TenantContext,
  operations: UpgradeOperations,
  /** The tenant's record in the upgrade run's journal (see `UpgradeRecord`). */
  record: { applied: readonly string[]; backup?: BackupTaken; migrateUnfinished?: boolean },
): Promise<string[]> {
  const journaled = [...record.applied];
  const historyRows = record.backup?.historyRows;
  // A journal written before `historyRows` existed, or operations that cannot read the history: only
  // the journal is known (an unrecorded migration then fails the fingerprint check, loudly).
  if (!record.migrateUnfinished || historyRows === undefined || !operations.appliedSince) return journaled;
  const since = await operations.appliedSince(ctx, historyRows);
  // A journaled migration missing here was reverted since (a rollback that stopped half-way): kept for
  // `down` to skip, placed first so it never reorders the history's.
  return [...journaled.filter((name) => !since.includes(name)), ...since];
}
