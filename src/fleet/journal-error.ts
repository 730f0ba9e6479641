import { errorMessage } from '../core/errors.js';
import type { FleetReport } from './report.js';

/**
 * The report of a run whose journal could not record all of it: not ok, and saying so. The tenants are
 * as the report says — only the record is short — but what reads the journal later (`report`,
 * `rollback --run`, `upgrade --resume`) would see less than was done, so a script must not take the run
 * as done. `next`: what the run did about it, and the way on.
 */
export function withJournalError<R extends FleetReport<object>>(report: R, cause: unknown, next?: string): R {
  const run = report.runId ? `run ${report.runId}` : 'the run';
  const after =
    next ??
    'the tenants are as this report says; `dbfleet report` and `rollback --run` do not see the run whole';
  return {
    ...report,
    ok: false,
    journalError: `the journal could not record all of ${run}: ${errorMessage(cause)} — ${after}`,
  };
}
