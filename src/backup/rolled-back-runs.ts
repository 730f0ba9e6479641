import type { Journal } from '../journal/journal.js';
import type { UpgradeRollback } from '../journal/rollbacks.js';
import { type JournalTarget, withOpenJournal } from '../journal/use.js';

/** Per tenant id, the upgrade runs rolled back for it since, by upgrade run id. */
export type RolledBackRuns = ReadonlyMap<string, ReadonlyMap<string, UpgradeRollback>>;

/**
 * Runs `fn` with the restore's journal open, and what it says was rolled back for `tenantIds`: the
 * journal is where `rollback --run` records what it undid (the backup folder may be shared, or written
 * by a queue worker, and manifests do not know). The run is journaled through the same open journal.
 * Without a journal nothing is known, and `latest` is the newest verified backup as before.
 */
export async function withRolledBackRuns<T>(
  target: JournalTarget | undefined,
  tenantIds: readonly string[],
  fn: (journal: Journal | undefined, rolledBack: RolledBackRuns) => Promise<T>,
): Promise<T> {
  if (target === undefined) return fn(undefined, new Map());
  // Loaded only when asked for, as journaledRun does: the journal brings knex and a driver of its own.
  const { upgradeRollbacks } = await import('../journal/rollbacks.js');
  return withOpenJournal(target, async (journal) => {
    const rollbacks = await journal.read((knex) => upgradeRollbacks(knex, { tenantIds }));
    const byTenant = new Map<string, Map<string, UpgradeRollback>>();
    for (const r of rollbacks) {
      const runs = byTenant.get(r.tenantId) ?? new Map<string, UpgradeRollback>();
      runs.set(r.upgradeRun, r);
      byTenant.set(r.tenantId, runs);
    }
    return fn(journal, byTenant);
  });
}
