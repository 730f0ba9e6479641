import { createHash } from 'node:crypto';
import type { Fingerprint, FingerprintLevel, TableFingerprint } from './backup-types.js';

/** A short stable hash of a JSON-able value (arrays keep their order; callers sort what has no order). */
export function hashOf(value: unknown, length = 16): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, length);
}

/**
 * Order-independent multiset hash of rows: the sum (mod 2^128) of each row's hash. Streams with no sort,
 * so a `full` fingerprint costs one pass over the data; two tables hash equal iff they hold the same rows
 * (up to a 2^-128 accident — this detects corruption and lost rows, it is not a cryptographic commitment).
 */
export class RowSetHash {
  private sum = 0n;
  private static readonly MOD = 1n << 128n;
  add(rowHashHex: string): void {
    this.sum = (this.sum + BigInt(`0x${rowHashHex.slice(0, 32)}`)) % RowSetHash.MOD;
  }
  digest(): string {
    return this.sum.toString(16).padStart(32, '0');
  }
}

/** The version a fingerprint's hashes were made by: one without any was written before there were versions. */
export function fingerprintVersion(fingerprint: Pick<Fingerprint, 'version'>): number {
  return fingerprint.version ?? 1;
}

/** Assembles a fingerprint from its parts; the schema hash covers every table's schema and every object. */
export function buildFingerprint(
  level: FingerprintLevel,
  tables: Record<string, TableFingerprint>,
  objects: Record<string, string>,
): Fingerprint {
  const sortedTables = Object.fromEntries(
    Object.entries(tables).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const sortedObjects = Object.fromEntries(
    Object.entries(objects).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  const schemaHash = hashOf(
    [Object.entries(sortedTables).map(([name, t]) => [name, t.schema]), Object.entries(sortedObjects)],
    64,
  );
  return { level, schemaHash, objects: sortedObjects, tables: sortedTables };
}
