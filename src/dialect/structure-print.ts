import type { Fingerprint } from './backup-types.js';
import { buildFingerprint, hashOf } from './fingerprint-hash.js';
import type { SchemaShape } from './schema-shape.js';
import { canonicalShape } from './shape-hash.js';

/**
 * A tenant's structure as `dbfleet drift` reads it — names relative to the tenant's own schema, so a
 * schema-per-tenant tenant and a database tenant compare alike — hashed per table and per object. A
 * backup's fingerprint cannot serve for that: it is read with every name schema-qualified (a restored
 * copy must compare equal to exactly its source), inside its table hashes too (`ON tenant_a.accounts`).
 */
export interface StructurePrint {
  tables: Record<string, string>;
  objects: Record<string, string>;
}

const hashValues = <T>(o: Record<string, T>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, hashOf(v)]));

/** Pure: the print of a shape (its lists sorted first, so equal structures print equal). */
export function structurePrint(shape: SchemaShape): StructurePrint {
  const c = canonicalShape(shape);
  return { tables: hashValues(c.tables), objects: hashValues(c.objects) };
}

const isHashMap = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' && v !== null && Object.values(v).every((h) => typeof h === 'string');

/** A print as the journal holds it (JSON, maybe written by another version). */
export function isStructurePrint(v: unknown): v is StructurePrint {
  return (
    typeof v === 'object' &&
    v !== null &&
    isHashMap((v as StructurePrint).tables) &&
    isHashMap((v as StructurePrint).objects)
  );
}

/**
 * The print as a schema-level fingerprint, without the tables `skip` names (bookkeeping): compared and
 * grouped as a backup's fingerprint is, by what it holds.
 */
export function printAsFingerprint(print: StructurePrint, skip: (key: string) => boolean): Fingerprint {
  const tables = Object.entries(print.tables).filter(([key]) => !skip(key));
  return buildFingerprint(
    'schema',
    Object.fromEntries(tables.map(([key, schema]) => [key, { schema }])),
    print.objects,
  );
}
