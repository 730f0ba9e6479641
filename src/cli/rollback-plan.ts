import { UsageError } from '../core/errors.js';
import type { RollbackPlan } from '../upgrade/rollback-run.js';
import { listIds } from '../upgrade/rollback-selection.js';

/**
 * `rollback --run` restores pre-upgrade backups: without `--yes` it stops here and says what it would
 * do — which tenants it would restore, which it cannot (their backup is gone: they fail, untouched) and
 * how many of the run's tenants the selection leaves out. Nothing to restore, nothing to confirm.
 */
export function confirmRestore(plan: RollbackPlan, yes: boolean): void {
  if (plan.with === 'down' || yes) return;
  const cannot = new Set(plan.cannotRestore.map((c) => c.tenantId));
  const restored = plan.tenants.filter((id) => !cannot.has(id));
  if (restored.length === 0) return;
  const parts = [
    `rollback --run ${plan.upgradeRun} would restore the pre-upgrade backups of up to ${restored.length} tenant(s) (${listIds(restored)}): everything written to them since is lost.`,
  ];
  if (plan.cannotRestore.length)
    parts.push(
      `${plan.cannotRestore.length} more cannot be restored and would fail untouched: ${plan.cannotRestore
        .map((c) => `${c.tenantId} (${c.error.code})`)
        .join(', ')} — ${plan.cannotRestore[0]!.error.message}.`,
    );
  const leftOut = leftOutHint(plan);
  if (leftOut) parts.push(leftOut);
  parts.push(
    "Add --yes to confirm, or use --with down to run the run's down migrations instead: they keep what was written since, except what they drop.",
  );
  throw new UsageError(parts.join(' '));
}

/** The run's tenants a selection (`--tenant/--tag/--exclude`) left out of the rollback. */
export function leftOutHint(plan: RollbackPlan | undefined): string | undefined {
  if (!plan?.leftOut.length) return undefined;
  const all = plan.leftOut.length + plan.tenants.length;
  return `${plan.leftOut.length} of the run's ${all} tenant(s) to roll back left out by the selection: ${listIds(plan.leftOut)}.`;
}
