import type { Knex } from 'knex';
import { UsageError } from '../core/errors.js';
import { findRun, type RunRow } from '../journal/read.js';

/** The run a report shows, and — when none was named — why that one. */
export interface PickedRun {
  run: RunRow;
  /** Set when the run was chosen by default: a sentence saying which run and how to pick another. */
  note?: string;
}

/**
 * The named run, or by default the newest upgrade run: that is the one whose maintenance windows, backups
 * and failures people ask about, and a `verify` or `status` run after it must not hide them. A journal
 * with no upgrade run shows its newest run of any kind.
 */
export async function pickRun(knex: Knex, runId?: string): Promise<PickedRun> {
  if (runId) {
    const run = await findRun(knex, runId);
    if (!run) throw new UsageError(`no run ${runId} in the journal`);
    return { run };
  }
  const newest = await findRun(knex);
  if (!newest) throw new UsageError('the journal has no run yet');
  const upgrade = newest.command === 'upgrade' ? newest : await findRun(knex, undefined, 'upgrade');
  const run = upgrade ?? newest;
  const which =
    run === newest
      ? `the newest run, ${run.command} ${run.runId}`
      : `the newest upgrade run, ${run.runId}; the newest run is ${newest.command} ${newest.runId}`;
  return { run, note: `showing ${which} — pick another with --run <id>` };
}
