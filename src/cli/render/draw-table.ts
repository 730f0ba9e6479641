import Table from 'cli-table3';
import { redact } from '../../core/redact.js';
import { type FitColumn, fitTable, terminalWidth } from './fit-width.js';

const style = { head: [] as string[], border: [] as string[] };

/**
 * A bordered table no wider than `width` (default: the terminal's, 80 when piped). The cells arrive
 * already wrapped to their column (fitTable), so cli-table3 only draws the borders. Cells are redacted
 * before they are wrapped: a password split over two lines would slip past redacting the drawn table.
 */
export function drawTable(columns: readonly FitColumn[], width = terminalWidth()): string {
  const fitted = fitTable(
    columns.map((c) => ({ ...c, cells: c.cells.map(redact) })),
    width,
  );
  const table = new Table({
    head: fitted.head,
    colWidths: fitted.widths.map((w) => w + 2),
    style,
    wordWrap: false,
  });
  for (const row of fitted.rows) table.push(row);
  const hidden = fitted.hidden.length
    ? `\n(not shown at this width: ${fitted.hidden.join(', ')} — a wider terminal shows it)`
    : '';
  return table.toString() + hidden;
}

/** An error cell: the code stays whole on the first line (its column is at least that wide), the message wraps. */
export const errorColumn = (
  head: string,
  errors: readonly ({ code: string; message: string } | null | undefined)[],
): FitColumn => ({
  head,
  cells: errors.map((e) => (e ? `${e.code}: ${e.message}` : '')),
  minWidth: Math.max(0, ...errors.map((e) => (e ? e.code.length + 1 : 0))),
  maxLines: 3,
});
