import type { TenantResult } from '../../core/events.js';
import { type FleetReport, skipReasons } from '../../fleet/report.js';
import { formatDuration } from '../../util/duration.js';
import { drawTable, errorColumn } from './draw-table.js';
import { terminalWidth } from './fit-width.js';

/** A command's own column; `D` is its report's details (a shared column reads any report's). */
export type ResultColumn<D extends object = Record<string, unknown>> = {
  head: string;
  value: (result: TenantResult<D>) => string;
  /**
   * Left out (and the table says so) when the columns do not otherwise fit whole: what it says is also
   * elsewhere in the row (a failed step is named in the error).
   */
  optional?: boolean;
};

const MAX_ROWS = 200;
/** Above this many tenants the table lists only those to look at and the slowest, not every success. */
const LARGE_FLEET = 50;
const hasPending = (r: TenantResult<object>) => {
  const pending = (r.details as { pending?: unknown }).pending;
  return Array.isArray(pending) && pending.length > 0;
};
const SLOWEST = 10;
/** Ids longer than this may wrap, so that a table at 80 columns keeps room for the error. */
const ID_WIDTH_KEPT = 32;
const widest = (texts: readonly string[]) => Math.max(0, ...texts.map((t) => [...t].length));

function truncate(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/**
 * The final table. Failed tenants come first (the ones someone has to look at at 4 a.m.). A large fleet
 * prints its failed and skipped tenants and its slowest successes, not a row per success: the full list
 * is in `--json` and the report.
 */
export function renderTable<D extends object>(
  report: FleetReport<D>,
  columns: readonly ResultColumn<D>[] = [],
  width = terminalWidth(),
): string {
  const order = { failed: 0, skipped: 1, succeeded: 2 } as const;
  const all = [...report.tenants].sort(
    (a, b) => order[a.status] - order[b.status] || a.id.localeCompare(b.id),
  );
  const large = all.length > LARGE_FLEET;
  // A success that still has migrations pending (status, plan, a migrate --to) is someone's to look at
  // too: shown with the failures, not left among the quiet successes.
  const notable = (r: TenantResult<D>) => r.status !== 'succeeded' || hasPending(r);
  const rows = large
    ? [
        ...all.filter(notable),
        ...all
          .filter((r) => !notable(r))
          .sort((a, b) => b.durationMs - a.durationMs)
          .slice(0, SLOWEST),
      ]
    : all;
  const shown = rows.slice(0, MAX_ROWS);
  const ids = shown.map((r) => r.id);
  const times = shown.map((r) => formatDuration(r.durationMs));
  const withErrors = shown.some((r) => r.error);
  const table = drawTable(
    [
      // The id, status and time stay whole where the width allows (up to a point, for the id): they are
      // what an operator scans the rows by; the other columns wrap first.
      { head: 'tenant', cells: ids, keepWidth: Math.min(ID_WIDTH_KEPT, widest(ids)) },
      { head: 'status', cells: shown.map((r) => r.status), keepWidth: widest(shown.map((r) => r.status)) },
      { head: 'time', cells: times, keepWidth: widest(times) },
      ...columns.map((c) => ({
        head: c.head,
        cells: shown.map((r) => c.value(r)),
        maxLines: 4,
        ...(c.optional ? { optional: true } : {}),
      })),
      ...(withErrors
        ? [
            errorColumn(
              'error',
              shown.map((r) => r.error),
            ),
          ]
        : []),
    ],
    width,
  );
  const s = report.summary;
  const lines = [table];
  if (rows.length > MAX_ROWS) lines.push(`… ${rows.length - MAX_ROWS} more tenant(s); use --json for all`);
  const quiet = all.length - rows.length;
  const behind = rows.filter((r) => r.status === 'succeeded' && hasPending(r)).length;
  const slowest = rows.filter((r) => r.status === 'succeeded').length - behind;
  if (large && quiet > 0)
    lines.push(
      `… and ${quiet} more succeeded (${behind > 0 ? `the ${behind} with pending migrations and ` : ''}the ${slowest} slowest${behind > 0 ? ' of the rest' : ''} are shown); every tenant: --json, or dbfleet report`,
    );
  lines.push(
    `${report.command}: ${s.total} tenant(s) — ${s.succeeded} succeeded, ${s.failed} failed, ${s.skipped} skipped in ${formatDuration(report.durationMs)}${report.interrupted ? ' (interrupted)' : ''}`,
  );
  const notDone = skippedLine(report);
  if (notDone) lines.push(notDone);
  return lines.join('\n');
}

/**
 * Skipped is not done (exit 1): how many, and why — "2 skipped, not done: 1 LOCKED (…); 1 NOT_STARTED (…)".
 */
export function skippedLine(report: FleetReport<object>): string | undefined {
  if (report.summary.skipped === 0) return undefined;
  const reasons = skipReasons(report.tenants).map(
    (r) => `${r.tenants} ${r.code} (${truncate(r.message, 120)})`,
  );
  return `${report.summary.skipped} skipped, not done: ${reasons.join('; ')}`;
}
