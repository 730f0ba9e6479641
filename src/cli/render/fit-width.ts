/**
 * Fitting a table into the terminal (pure): how wide each column may be, and each cell's text wrapped
 * (or cut with "…") to that width. cli-table3 then only draws the borders around lines that already fit.
 */

export interface FitColumn {
  head: string;
  cells: readonly string[];
  /** Lines a cell may take before it is cut with "…" (default: as many as it needs). */
  maxLines?: number;
  /** The column is never narrower than this (still capped by its widest cell), if at all possible. */
  minWidth?: number;
  /** Kept this wide when the table can afford it (ids an operator scans by), before other columns wrap. */
  keepWidth?: number;
  /**
   * Left out, rightmost first, when the columns cannot otherwise keep their headings' words and their
   * `keepWidth` whole.
   */
  optional?: boolean;
}

export interface FittedTable {
  /** Content width of each column (without cli-table3's one-space padding either side). */
  widths: number[];
  head: string[];
  /** Row by row, each cell's lines joined with "\n", none wider than its column. */
  rows: string[][];
  /** The headings of optional columns left out to make room. */
  hidden: string[];
}

/** The width of a row's borders and padding: "│ " before each cell, " " after, "│" at the end. */
export const tableOverhead = (columns: number) => 3 * columns + 1;

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape sequences start with ESC.
const ANSI = /\u001b\[[0-9;]*m/g;
const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u;
const ZERO_WIDTH = /\p{M}|\u200b|\ufeff/u;

export const stripAnsi = (text: string) => text.replace(ANSI, '');

/** Terminal columns a string takes: ANSI colours take none, combining marks none, CJK two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of stripAnsi(text)) width += ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1;
  return width;
}

/** The longest prefix of `text` that fits in `width` columns. */
function take(text: string, width: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const w = displayWidth(ch);
    if (used + w > width) break;
    out += ch;
    used += w;
  }
  return out;
}

/** One line cut to `width` columns, ending in "…" when something was cut off. */
export function truncateLine(line: string, width: number): string {
  if (displayWidth(line) <= width) return line;
  if (width <= 1) return '…'.slice(0, width);
  return `${take(line, width - 1).trimEnd()}…`;
}

/** Wraps text at spaces to `width` columns; a word longer than a line is broken where it must be. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/)) {
      const joined = line === '' ? word : `${line} ${word}`;
      if (displayWidth(joined) <= w) {
        line = joined;
        continue;
      }
      if (line !== '') out.push(line);
      let rest = word;
      while (displayWidth(rest) > w) {
        const head = take(rest, w);
        out.push(head);
        rest = rest.slice(head.length);
      }
      line = rest;
    }
    out.push(line);
  }
  return out;
}

/** A cell wrapped to `width`, at most `maxLines` lines; the last kept line says "…" when more was cut. */
export function fitCell(text: string, width: number, maxLines = Number.POSITIVE_INFINITY): string {
  const lines = wrapText(text, width);
  if (lines.length <= maxLines) return lines.join('\n');
  const kept = lines.slice(0, Math.max(1, maxLines));
  const last = kept.length - 1;
  kept[last] = truncateLine(`${kept[last]} …`, width);
  return kept.join('\n');
}

const naturalWidth = (texts: readonly string[]) =>
  Math.max(0, ...texts.flatMap((t) => t.split('\n')).map(displayWidth));
const longestWord = (text: string) => naturalWidth(text.split(/\s+/));

/**
 * Column widths whose sum fits `budget`: columns that are narrow anyway keep their width, the widest ones
 * share what is left (the same cap for all of them). Each list of floors is tried in turn (e.g. preferred
 * minimums, then only the ones that matter); when none fits, every column may shrink to one character,
 * so the result fits whenever `budget` ≥ the number of columns.
 */
export function fitWidths(
  natural: readonly number[],
  floorTiers: readonly (readonly number[])[],
  budget: number,
): number[] {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  if (sum(natural) <= budget) return [...natural];
  const capped = (floor: readonly number[], cap: number) =>
    natural.map((n, i) => Math.min(n, Math.max(floor[i]!, cap)));
  for (const tier of [...floorTiers, natural.map(() => 1)]) {
    const floor = natural.map((n, i) => Math.max(1, Math.min(n, tier[i] ?? 1)));
    if (sum(floor) > budget) continue;
    // The largest cap that fits, by bisection (widths are small integers).
    let lo = 0;
    let hi = Math.max(...natural);
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (sum(capped(floor, mid)) <= budget) lo = mid;
      else hi = mid - 1;
    }
    return capped(floor, lo);
  }
  return natural.map(() => 1);
}

const budgetFor = (columns: number, totalWidth: number) =>
  Math.max(columns, totalWidth - tableOverhead(columns));
/** Preferred: a heading's words stay whole, and so does a column's own minimum (e.g. an error code). */
const preferredMinimum = (c: FitColumn) => Math.max(longestWord(c.head), c.minWidth ?? 0, 4);
const columnWidth = (c: FitColumn) => Math.max(1, naturalWidth([c.head, ...c.cells]));

/**
 * Drops optional columns, rightmost first, until the preferred minimums fit — with the widths kept whole
 * (ids, statuses) — or none is left to drop.
 */
function visibleColumns(columns: readonly FitColumn[], totalWidth: number): FitColumn[] {
  const shown = [...columns];
  const fits = () =>
    shown.reduce(
      (total, c) => total + Math.min(columnWidth(c), Math.max(preferredMinimum(c), c.keepWidth ?? 0)),
      0,
    ) <= budgetFor(shown.length, totalWidth);
  while (!fits()) {
    const drop = shown.findLastIndex((c) => c.optional);
    if (drop < 0) break;
    shown.splice(drop, 1);
  }
  return shown;
}

/** Fits a table into `totalWidth` terminal columns, borders included. */
export function fitTable(all: readonly FitColumn[], totalWidth: number): FittedTable {
  const columns = visibleColumns(all, totalWidth);
  const widths = fitWidths(
    columns.map(columnWidth),
    [
      columns.map((c) => Math.max(preferredMinimum(c), c.keepWidth ?? 0)),
      columns.map(preferredMinimum),
      columns.map((c) => c.minWidth ?? 1),
    ],
    budgetFor(columns.length, totalWidth),
  );
  const rowCount = Math.max(0, ...columns.map((c) => c.cells.length));
  return {
    widths,
    head: columns.map((c, i) => fitCell(c.head, widths[i]!)),
    rows: Array.from({ length: rowCount }, (_, r) =>
      columns.map((c, i) => fitCell(c.cells[r] ?? '', widths[i]!, c.maxLines)),
    ),
    hidden: all.filter((c) => !columns.includes(c)).map((c) => c.head),
  };
}

/** The width to fit: the terminal's, or 80 when stdout is not one (piped into a file or a pager). */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : 80;
}
