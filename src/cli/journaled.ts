import type { FleetOptions } from '../fleet/options.js';
import type { FleetReport } from '../fleet/report.js';
import type { CommandContext } from './context.js';

/**
 * Runs a command that changes tenants with the journal attached, so `dbfleet report` knows about every
 * migrate, backup, verify, restore and optimize too — not only upgrades. Read-only commands skip it.
 */
export async function journaled(
  ctx: CommandContext,
  command: string,
  run: (fleet: FleetOptions) => Promise<FleetReport>,
): Promise<FleetReport> {
  // Loaded here, not at start-up: the journal brings knex and the SQLite driver.
  const { Journal, newRunId } = await import('../journal/journal.js');
  const journal = await Journal.open(ctx.journal);
  try {
    const runId = newRunId();
    journal.planRun(
      runId,
      command,
      {},
      ctx.tenants.map((t) => ({ id: t.id, host: t.host })),
    );
    const onEvent = ctx.fleet.onEvent;
    let report: FleetReport;
    try {
      report = await run({
        ...ctx.fleet,
        onEvent: (event) => {
          journal.onEvent(event);
          onEvent?.(event);
        },
      });
    } catch (err) {
      journal.abandonRun(err instanceof Error ? err.message : String(err));
      throw err;
    }
    await journal.flush();
    return { ...report, runId };
  } finally {
    await journal.close();
  }
}
