import type { Fingerprint } from '../dialect/backup-types.js';
import { fingerprintVersion } from '../dialect/fingerprint-hash.js';

/** One way a fingerprint differs from the one expected: the report's "table, expected, found". */
export interface FingerprintDifference {
  /** Table key (`schema.table` / `table`), an object key (`type public.mood`), or `(fingerprint)`. */
  table: string;
  what: 'missing' | 'unexpected' | 'schema' | 'rows' | 'content' | 'level' | 'version';
  expected: string | number | null;
  found: string | number | null;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compares what a backup's manifest says the database held with what a restore of it holds. Pure.
 * Table hashes are compared as they are: `found` must be of `expected`'s version (see Fingerprint.version).
 * Row counts and content hashes are compared only where both sides have them (a deep verification at
 * a lower level than the backup's fingerprint checks what it can and says so via `level`).
 */
export function compareFingerprints(expected: Fingerprint, found: Fingerprint): FingerprintDifference[] {
  const out: FingerprintDifference[] = [];
  const levels = ['schema', 'counts', 'full'];
  if (levels.indexOf(found.level) < levels.indexOf(expected.level)) {
    out.push({ table: '(fingerprint)', what: 'level', expected: expected.level, found: found.level });
  }
  // Hashes of two versions may differ for the same structure: said, so no table's difference is
  // taken for a change (the callers ask the dialect for the expected one's version).
  if (fingerprintVersion(expected) !== fingerprintVersion(found)) {
    out.push({
      table: '(fingerprint)',
      what: 'version',
      expected: fingerprintVersion(expected),
      found: fingerprintVersion(found),
    });
  }
  const names = [...new Set([...Object.keys(expected.tables), ...Object.keys(found.tables)])].sort(byName);
  for (const table of names) {
    const e = expected.tables[table];
    const f = found.tables[table];
    if (!f) {
      out.push({ table, what: 'missing', expected: e?.rows ?? 'table', found: null });
      continue;
    }
    if (!e) {
      out.push({ table, what: 'unexpected', expected: null, found: f.rows ?? 'table' });
      continue;
    }
    if (e.schema !== f.schema) out.push({ table, what: 'schema', expected: e.schema, found: f.schema });
    if (e.rows !== undefined && f.rows !== undefined && e.rows !== f.rows) {
      out.push({ table, what: 'rows', expected: e.rows, found: f.rows });
    }
    if (e.content !== undefined && f.content !== undefined && e.content !== f.content) {
      out.push({ table, what: 'content', expected: e.content, found: f.content });
    }
  }
  const objects = [...new Set([...Object.keys(expected.objects), ...Object.keys(found.objects)])].sort(
    byName,
  );
  for (const name of objects) {
    const e = expected.objects[name];
    const f = found.objects[name];
    if (e === f) continue;
    if (f === undefined) out.push({ table: name, what: 'missing', expected: e ?? null, found: null });
    else if (e === undefined) out.push({ table: name, what: 'unexpected', expected: null, found: f });
    else out.push({ table: name, what: 'schema', expected: e, found: f });
  }
  return out;
}

/** One line per difference, for error messages: `public.orders: rows expected 120, found 119`. */
export function describeDifferences(diffs: readonly FingerprintDifference[], max = 5): string {
  const lines = diffs.slice(0, max).map((d) => {
    if (d.what === 'missing') return `${d.table}: missing`;
    if (d.what === 'unexpected') return `${d.table}: not in the backup`;
    return `${d.table}: ${d.what} expected ${d.expected}, found ${d.found}`;
  });
  if (diffs.length > max) lines.push(`… and ${diffs.length - max} more`);
  return lines.join('; ');
}
