import type { EventListener } from '../core/events.js';
import type { JournalTarget } from '../journal/use.js';
import { withJournalError } from './journal-error.js';
import type { FleetReport } from './report.js';

interface JournaledOptions {
  command: string;
  tenants: readonly { id: string; host: string }[];
  runId?: string;
  onEvent?: EventListener;
  journal?: JournalTarget;
  sessionOptions?: { readOnly?: boolean };
}

/**
 * Runs one fleet command under the journal when `options.journal` names one, so `dbfleet report` sees a
 * `migrate()` called from other tooling like a CLI run; without it nothing is opened or written. The run
 * gets its id here (the report carries it), and a run that throws is closed as not started. A read-only
 * run (status, plan, drift) changes nothing to record, and is not journaled even when asked.
 */
export async function journaledRun<O extends JournaledOptions, R extends FleetReport<object>>(
  options: O,
  run: (options: Omit<O, 'journal'>) => Promise<R>,
): Promise<R> {
  const { journal: target, ...rest } = options;
  if (target === undefined || rest.sessionOptions?.readOnly) return run(rest);
  // Loaded only when asked for: the journal brings knex and a driver of its own.
  const [{ newRunId }, { withOpenJournal }] = await Promise.all([
    import('../journal/journal.js'),
    import('../journal/use.js'),
  ]);
  return withOpenJournal(target, async (journal) => {
    const runId = rest.runId ?? newRunId();
    const mark = journal.dropMark;
    journal.planRun(
      runId,
      rest.command,
      {},
      rest.tenants.map((t) => ({ id: t.id, host: t.host })),
    );
    let report: R;
    try {
      report = await run({
        ...rest,
        runId,
        onEvent: (event) => {
          journal.onEvent(event);
          rest.onEvent?.(event);
        },
      });
    } catch (err) {
      journal.abandonRun(err instanceof Error ? err.message : String(err));
      throw err;
    }
    // The tenants' work is done whatever the journal did: the report keeps it, and says what is missing.
    const lost = (await journal.settle()) ?? journal.droppedSince(mark);
    return lost === undefined ? report : withJournalError(report, lost);
  });
}
