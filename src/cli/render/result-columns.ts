import type { TenantResult } from '../../core/events.js';
import type { UpgradeDetails } from '../../upgrade/types.js';
import type { ResultColumn } from './table.js';

const names = (r: TenantResult, key: string): string[] => {
  const value = r.details[key];
  return Array.isArray(value) ? value.filter((n): n is string => typeof n === 'string') : [];
};

/** A list of migration names in a cell: two by name, more as a count and the newest. */
const listed = (list: readonly string[]) =>
  list.length <= 2 ? list.join('\n') : `${list.length} (… ${list.at(-1)})`;

/**
 * An upgrade's migrations: a tenant rolled back has none of them applied any more, so it says so
 * ("0 (3 rolled back)") rather than "3", which would read as the new schema being in place.
 */
export const upgradeAppliedColumn = (head = 'applied'): ResultColumn => ({
  head,
  value: (r) => {
    const count = names(r, 'applied').length;
    return r.details.rolledBack === true && count > 0 ? `0 (${count} rolled back)` : String(count);
  },
});

/**
 * What a rollback did: down() ran for these, so they were reverted, not applied. A tenant the upgrade
 * closed but never changed (a killed run) had nothing to revert, and says so rather than show a blank.
 */
export const revertedColumn: ResultColumn = {
  head: 'reverted',
  value: (r) =>
    r.details.unchanged === true && r.status === 'succeeded'
      ? 'nothing (unchanged by the run)'
      : listed(names(r, 'applied')),
};

/** A tenant status could not read (unreachable, refused) has no known version: "unknown", not "pending 0". */
const unknownState = (r: TenantResult) => r.status !== 'succeeded' && r.error?.code !== 'MIGRATION_PROBLEMS';

export const statusCurrentColumn: ResultColumn = {
  head: 'current',
  value: (r) => (unknownState(r) ? 'unknown' : String(r.details.current ?? '—')),
};

export const statusPendingColumn: ResultColumn = {
  head: 'pending',
  value: (r) => (unknownState(r) ? 'unknown' : String(names(r, 'pending').length)),
};

/** How far a tenant's runbook went: its failed step (and whether it was rolled back), or every step passed. */
function stepsOf(d: UpgradeDetails): string {
  const failed = d.steps.find((s) => s.status === 'failed');
  if (failed) return `failed at ${failed.step}${d.rolledBack ? ' · rolled back' : ''}`;
  return `${d.steps.length} steps`;
}

/**
 * An upgrade's table (`upgrade`, `demo`): its migrations, whether its users are let in, and its steps —
 * left out first at a narrow width (80 columns piped): the error names the failed step too, while a wrapped
 * tenant id or status ("tenant-b / roken", "succeede / d") misleads.
 */
export function upgradeColumns(appliedHead = 'applied'): ResultColumn<UpgradeDetails>[] {
  return [
    upgradeAppliedColumn(appliedHead),
    { head: 'users', value: (r) => String(r.details.maintenance ?? '') },
    { head: 'steps', value: (r) => stepsOf(r.details), optional: true },
  ];
}
