/**
 * Just enough of a T-SQL lexer to know, for every character of a script, whether it is code or sits inside
 * something whose content must never be interpreted: a string literal, a delimited identifier or a comment.
 * The GO splitter and the non-transactional statement check both build on it, so they agree on what is code.
 */

export type RegionKind = 'code' | 'string' | 'bracket' | 'quoted' | 'line-comment' | 'block-comment';

export interface Region {
  kind: RegionKind;
  /** Offset of the first character (for a string, the opening quote). */
  start: number;
  /** Offset one past the last character. */
  end: number;
  /** False when the script ended before the closing delimiter (the server will report it). */
  terminated: boolean;
}

/** Scans a `'…'`, `[…]` or `"…"` region whose closing delimiter is escaped by doubling it. */
function scanDelimited(text: string, start: number, close: string): { end: number; terminated: boolean } {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === close) {
      if (text[i + 1] === close) {
        i += 2;
        continue;
      }
      return { end: i + 1, terminated: true };
    }
    i += 1;
  }
  return { end: text.length, terminated: false };
}

/** T-SQL block comments nest: `/* a /* b *\/ still comment *\/`. */
function scanBlockComment(text: string, start: number): { end: number; terminated: boolean } {
  let depth = 1;
  let i = start + 2;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth += 1;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return { end: i, terminated: true };
    } else {
      i += 1;
    }
  }
  return { end: text.length, terminated: false };
}

function scanLineComment(text: string, start: number): { end: number; terminated: boolean } {
  const newline = text.indexOf('\n', start);
  return { end: newline === -1 ? text.length : newline, terminated: true };
}

/** Splits `text` into consecutive regions covering it exactly, in order. */
export function lexTsql(text: string): Region[] {
  const regions: Region[] = [];
  let codeStart = 0;
  let i = 0;
  const flushCode = (upTo: number) => {
    if (upTo > codeStart) regions.push({ kind: 'code', start: codeStart, end: upTo, terminated: true });
  };
  while (i < text.length) {
    const ch = text[i];
    let kind: RegionKind | undefined;
    let scanned: { end: number; terminated: boolean } | undefined;
    if (ch === "'") {
      kind = 'string';
      scanned = scanDelimited(text, i, "'");
    } else if (ch === '[') {
      kind = 'bracket';
      scanned = scanDelimited(text, i, ']');
    } else if (ch === '"') {
      kind = 'quoted';
      scanned = scanDelimited(text, i, '"');
    } else if (ch === '-' && text[i + 1] === '-') {
      kind = 'line-comment';
      scanned = scanLineComment(text, i);
    } else if (ch === '/' && text[i + 1] === '*') {
      kind = 'block-comment';
      scanned = scanBlockComment(text, i);
    }
    if (kind && scanned) {
      flushCode(i);
      regions.push({ kind, start: i, end: scanned.end, terminated: scanned.terminated });
      i = scanned.end;
      codeStart = i;
    } else {
      i += 1;
    }
  }
  flushCode(text.length);
  return regions;
}

/**
 * The script with everything that is not code blanked out, offsets and newlines preserved: comments and
 * string contents become spaces, a delimited identifier becomes ` iii ` so it stays one word that matches no
 * keyword (`[backup]` is a name, not BACKUP).
 */
export function maskNonCode(text: string, regions: Region[] = lexTsql(text)): string {
  let out = '';
  for (const region of regions) {
    const slice = text.slice(region.start, region.end);
    if (region.kind === 'code') {
      out += slice;
    } else if (region.kind === 'bracket' || region.kind === 'quoted') {
      out += slice.length <= 2 ? ' '.repeat(slice.length) : ` ${'i'.repeat(slice.length - 2)} `;
    } else {
      out += slice.replace(/[^\n]/g, ' ');
    }
  }
  return out;
}

/** 1-based line number of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}
