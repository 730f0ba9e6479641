import { lexTsql, type Region } from './tsql-lexer.js';

/**
 * GO is not T-SQL: it is the client's batch separator (sqlcmd, SSMS). The server never sees it, so a
 * script with GO lines must be cut into batches here and each batch sent on its own, in order.
 */
export interface Batch {
  /** The batch text exactly as it appears in the script (a verbatim slice). */
  sql: string;
  /** `GO 5` runs the batch preceding it 5 times. */
  repeat: number;
  /** Offsets of the slice in the script: `script.slice(start, end) === sql`. */
  start: number;
  end: number;
  /** 1-based script line the batch starts on; the server's line numbers are relative to it. */
  startLine: number;
}

/**
 * A separator is a whole line holding only GO (any case), optionally a repeat count and a trailing
 * `--` comment, with spaces or tabs around. `GOTO`, `GO;` or `GO /* x *\/` are not separators.
 */
const GO_LINE = /^[ \t]*go(?:[ \t]+(\d+))?[ \t]*(?:--.*)?\r?$/i;

/** sqlcmd accepts up to 2^32-1; a migration that needs more than this is a mistake, and splitScript expands it. */
const MAX_REPEAT = 1_000_000;

function parseRepeat(count: string | undefined, line: number): number {
  if (count === undefined) return 1;
  const repeat = Number(count);
  if (!Number.isSafeInteger(repeat) || repeat < 1 || repeat > MAX_REPEAT) {
    throw new Error(
      `line ${line}: GO ${count} — the repeat count must be an integer from 1 to ${MAX_REPEAT}`,
    );
  }
  return repeat;
}

/** Whether [start, end) holds anything but whitespace and comments (an empty batch is not sent). */
function holdsCode(script: string, regions: Region[], start: number, end: number): boolean {
  for (const region of regions) {
    if (region.end <= start || region.start >= end) continue;
    if (region.kind === 'line-comment' || region.kind === 'block-comment') continue;
    if (region.kind !== 'code') return true;
    if (script.slice(Math.max(start, region.start), Math.min(end, region.end)).trim() !== '') return true;
  }
  return false;
}

/** Cuts a script into GO batches; GO lines inside strings, delimited identifiers or comments are text. */
export function splitGoBatches(script: string): Batch[] {
  const regions = lexTsql(script);
  const batches: Batch[] = [];
  let batchStart = 0;
  let batchStartLine = 1;
  const close = (end: number, repeat: number) => {
    if (holdsCode(script, regions, batchStart, end)) {
      batches.push({
        sql: script.slice(batchStart, end),
        repeat,
        start: batchStart,
        end,
        startLine: batchStartLine,
      });
    }
  };

  let regionIndex = 0;
  let lineStart = 0;
  let line = 1;
  for (;;) {
    const newline = script.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? script.length : newline;
    while (regionIndex < regions.length && regions[regionIndex]!.end <= lineStart) regionIndex += 1;
    const region = regions[regionIndex];
    // A line that begins inside a string, identifier or comment opened on an earlier line is never a GO.
    const continuesLiteral = region !== undefined && region.kind !== 'code' && region.start < lineStart;
    const match = continuesLiteral ? null : GO_LINE.exec(script.slice(lineStart, lineEnd));
    if (match) {
      close(lineStart, parseRepeat(match[1], line));
      batchStart = newline === -1 ? script.length : newline + 1;
      batchStartLine = line + 1;
    }
    if (newline === -1) break;
    lineStart = newline + 1;
    line += 1;
  }
  close(script.length, 1);
  return batches;
}

/** The batches to send, in order, each repeated as its GO count says. */
export function splitScript(script: string): string[] {
  return splitGoBatches(script).flatMap((batch) => Array.from({ length: batch.repeat }, () => batch.sql));
}
