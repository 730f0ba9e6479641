import { UsageError } from '../core/errors.js';
import type { RollbackPlan } from '../upgrade/rollback-run.js';
import { listed } from '../upgrade/rollback-selection.js';

/**
 * `rollback --run` restores pre-upgrade backups: without `--yes` it stops here and says what it would
 * do — which tenants it would restore and how many of the run's tenants the selection leaves out. Nothing to restore, nothing to confirm.
 */
export function confirmRestore(plan: RollbackPlan, yes: boolean): void {
  if (plan.with === 'down' || yes) return;
  if (plan.tenants.length === 0) return;
  const parts = [
    `rollback --run ${plan.upgradeRun} would restore the pre-upgrade backups of up to ${plan.tenants.length} tenant(s) (${listed(plan.tenants)}): everything written to them since is lost.`,
  ];
  const leftOut = leftOutHint(plan);
  if (leftOut) parts.push(leftOut);
  parts.push('Add --yes to confirm (or use --with down).');
  throw new UsageError(parts.join(' '));
}

/** The run's tenants a selection (`--tenant/--tag/--exclude`) left out of the rollback. */
export function leftOutHint(plan: RollbackPlan | undefined): string | undefined {
  if (!plan?.leftOut.length) return undefined;
  const all = plan.leftOut.length + plan.tenants.length;
  return `${plan.leftOut.length} of the run's ${all} tenant(s) to roll back left out by the selection: ${listed(plan.leftOut)}.`;
}
