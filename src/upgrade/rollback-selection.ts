import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';

/** The run's tenants to roll back now, and those the selection (`--tenant/--tag/--exclude`) left out. */
export interface RollbackSelection {
  chosen: Tenant[];
  leftOut: string[];
}

/**
 * Which of an upgrade run's tenants (`targets`, ids) a `rollback --run` rolls back: the selected ones.
 * `inventory` is the whole inventory the selection was made from; a tenant of the run missing from it is
 * a usage error — it cannot be connected to — while one that is only unselected is left out (a rollback
 * of one tenant of a run is `--tenant acme`). Compared with the selection alone, every unselected tenant
 * of the run was reported "missing from the inventory".
 */
export function selectRunTargets(
  upgradeRun: string,
  targets: readonly string[],
  selected: readonly Tenant[],
  inventory: readonly Tenant[],
): RollbackSelection {
  const inInventory = new Set(inventory.map((t) => t.id));
  // The selection is made from the inventory; a library caller may still pass tenants it lacks.
  for (const t of selected) inInventory.add(t.id);
  const missing = targets.filter((id) => !inInventory.has(id));
  if (missing.length)
    throw new UsageError(`tenants of run ${upgradeRun} missing from the inventory: ${missing.join(', ')}`);
  const byId = new Map(selected.map((t) => [t.id, t]));
  const chosen = targets.flatMap((id) => byId.get(id) ?? []);
  const leftOut = targets.filter((id) => !byId.has(id));
  // A selection that names none of the run's tenants is a mistake (a wrong run, a wrong id): rolling
  // back nothing and reporting success would hide it.
  if (targets.length > 0 && chosen.length === 0)
    throw new UsageError(
      `none of the selected tenants is one run ${upgradeRun} changed; its tenants: ${listIds(targets)}`,
    );
  return { chosen, leftOut };
}

/** Ids for a message: all of a short list, the first ones and a count of a long one. */
export function listIds(ids: readonly string[], max = 10): string {
  return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}
