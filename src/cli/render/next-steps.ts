import type { FleetReport } from '../../fleet/report.js';

/**
 * After `rollback --run` without `--reopen`: the rolled-back tenants are still closed for maintenance.
 * Says so, and how users get back in (rolling back again does nothing for a tenant already rolled back).
 */
export function reopenHint(report: FleetReport, reopened: boolean): string | undefined {
  if (reopened) return undefined;
  const closed = report.tenants.filter((t) => t.status === 'succeeded' && t.details.maintenance === 'closed');
  if (closed.length === 0) return undefined;
  return (
    `${closed.length} tenant(s) rolled back and still in maintenance. --reopen runs the afterTenant hook ` +
    'after each rollback; for these, run that hook yourself to let their users back in.'
  );
}

/**
 * After `rollback --run`: tenants an earlier rollback of that run had rolled back were left as they are
 * (their `reverted` cell is empty): says so, and by which run.
 */
export function alreadyRolledBackHint(report: FleetReport): string | undefined {
  const runs = report.tenants
    .map((t) => t.details.alreadyRolledBack)
    .filter((r): r is string => typeof r === 'string');
  if (runs.length === 0) return undefined;
  return `${runs.length} tenant(s) were rolled back already, by run ${[...new Set(runs)].join(', ')}: nothing was done to them.`;
}

/**
 * An upgrade stopped by its failure budget (also on `--resume`, which keeps the run's budget): how to go
 * on — look at the failures, then resume with a larger budget, or roll the run back.
 */
export function budgetHint(report: FleetReport): string | undefined {
  const stopped = report.tenants.some(
    (t) =>
      t.status === 'skipped' && t.error?.code === 'NOT_STARTED' && /failure budget/.test(t.error.message),
  );
  if (!stopped || !report.runId) return undefined;
  const failed = report.summary.failed;
  return [
    `The failure budget stopped run ${report.runId}. To go on, once the failures are understood:`,
    `  dbfleet report --run ${report.runId}                          # what failed and why`,
    `  dbfleet upgrade --resume ${report.runId} --max-failures ${failed + 1}   # start the rest, allowing ${failed + 1} failure(s)`,
    `  dbfleet rollback --run ${report.runId} --yes                  # or put every changed tenant back`,
  ].join('\n');
}
