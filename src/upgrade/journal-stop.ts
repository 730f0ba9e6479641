import { type ErrorInfo, errorMessage } from '../core/errors.js';
import type { Journal } from '../journal/journal.js';

/**
 * A step's checkpoint could not be stored: the journal refused the write (a full disk, a damaged file, a
 * control database that says no) or stayed out of reach. Not the tenant's failure — the step itself may
 * well have succeeded — so nothing is rolled back for it: the pipeline stops there, as after a kill.
 */
export class JournalFailed extends Error {
  readonly info: ErrorInfo;
  constructor(cause: unknown) {
    const message = `the journal could not record it: ${errorMessage(cause)}`;
    super(message);
    this.info = { code: 'JOURNAL_FAILED', message };
  }
}

/**
 * The upgrade's checkpoint after every step. `upgrade --resume` decides what to run again from the
 * journal's records, so once one is lost the run must stop: a refused batch holds other tenants' steps
 * too, and a tenant carried on past an unrecorded step (a pre-upgrade backup, say) could be resumed
 * from before it. So the first failure calls `stop` (no new tenant starts) and every later checkpoint of
 * the run fails at once: each tenant in flight stops at its next step, closed as it was, to be resumed.
 */
export function journalCheckpoint(
  journal: Journal,
  stop: (reason: string) => void,
): { checkpoint: () => Promise<void>; failure: () => unknown } {
  let failure: unknown;
  const mark = journal.dropMark;
  const fail = (err: unknown): never => {
    if (failure === undefined) {
      failure = err;
      stop(`not started: the journal could not be written (${errorMessage(err)})`);
    }
    throw new JournalFailed(failure);
  };
  return {
    async checkpoint() {
      if (failure !== undefined) fail(failure);
      try {
        await journal.flush();
      } catch (err) {
        fail(err);
      }
      // Stored now, but a batch this flush did not wait for was dropped (flush says so to one caller).
      const dropped = journal.droppedSince(mark);
      if (dropped !== undefined) fail(dropped);
    },
    failure: () => failure,
  };
}
