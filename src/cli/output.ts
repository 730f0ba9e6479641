import type { EventListener, FleetEvent } from '../core/events.js';
import { redact } from '../core/redact.js';
import type { FleetReport } from '../fleet/report.js';
import { writeJsonReport } from './render/json-report.js';
import { eventLine } from './render/lines.js';
import { type ResultColumn, renderTable } from './render/table.js';

export interface OutputMode {
  json: boolean;
  /** stderr is a TTY: draw the live view; otherwise plain lines. */
  tty: boolean;
}

/**
 * One listener per run, folding the event stream into what the user sees: the live view on a TTY,
 * plain lines otherwise, nothing but the final JSON with `--json`. Progress goes to stderr so stdout
 * carries only the table or the JSON report.
 */
export async function createEventSink(mode: OutputMode): Promise<EventListener> {
  if (mode.json) return () => {};
  if (mode.tty) {
    // Only a TTY needs the live view (and log-update behind it).
    const { createLiveProgress } = await import('./render/progress.js');
    return createLiveProgress(process.stderr).onEvent;
  }
  return (event: FleetEvent) => {
    const line = eventLine(event);
    if (line) process.stderr.write(`${redact(line)}\n`);
  };
}

export async function printReport<D extends object>(
  report: FleetReport<D>,
  mode: OutputMode,
  columns: readonly ResultColumn<D>[] = [],
  footer?: string,
): Promise<void> {
  // On stderr too, whatever the mode: a script that keeps only stdout's document must still be told.
  if (report.journalError) process.stderr.write(`dbfleet: ${redact(report.journalError)}\n`);
  if (mode.json) {
    await writeJsonReport(report, process.stdout);
    return;
  }
  process.stdout.write(`${redact(renderTable(report, columns))}\n`);
  if (footer) process.stdout.write(`${redact(footer)}\n`);
}

export function exitCodeOf(report: FleetReport<object>): number {
  return report.ok ? 0 : 1;
}
