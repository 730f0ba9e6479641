import { checkVerbOptions, JOURNAL } from '../fleet/verb-options.js';
import { markDeadRuns } from '../journal/dead-runs.js';
import { type JournalTarget, readJournal } from '../journal/use.js';
import { type BuildReportOptions, buildFleetReport } from './build.js';
import { pickRun } from './pick-run.js';
import type { FleetDocument } from './types.js';

export interface ReportOptions extends BuildReportOptions {
  /** The journal to read: a SQLite path (must exist) or `postgres://` URL, or an open Journal. */
  journal: JournalTarget;
  /** Told which run was chosen when `runId` names none (the CLI prints it on stderr). */
  onNote?: (note: string) => void;
}

/**
 * `dbfleet report` as a function: one run of the journal (default the newest upgrade run, else the
 * newest run) as the fleet document — pure, redacted data for `renderReport` or your own use.
 */
export async function report(options: ReportOptions): Promise<FleetDocument> {
  checkVerbOptions('report', options, { journal: JOURNAL }, false);
  const { journal, onNote, ...build } = options;
  return readJournal(journal, async (knex) => {
    // A run whose process was killed is shown as interrupted, not running, as every command that opens
    // the journal marks it; a journal this process may not write is still read.
    await markDeadRuns(knex).catch(() => {});
    const picked = await pickRun(knex, build.runId);
    if (picked.note) onNote?.(picked.note);
    return buildFleetReport(knex, { ...build, runId: picked.run.runId });
  });
}
