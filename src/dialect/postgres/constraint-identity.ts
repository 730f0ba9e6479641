import type { PartShape } from '../schema-shape.js';
import type { TableRow } from './fingerprint-sql.js';

/**
 * What a constraint is known by when two databases are compared: its own name, unless PostgreSQL derived
 * it (pg_constraint.conparentid <> 0) — then its top-level parent's. A foreign key into a partitioned
 * table gets a derived copy per referenced partition, named `…_fkey1`, `…_fkey2` in creation order; a
 * partition keeps the name of its own key attached under a parent's. pg_dump dumps none of them (the
 * parent's key recreates them), so a restore — which creates the key after every partition — names
 * them otherwise, and a good backup failed its deep verify, a restored tenant showed as drift. The
 * parent's name and the definition (which names the referenced partition) still tell them apart.
 */
export type ConstraintIdentity = [name: string, definition: string];

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The table's constraints as `[name, definition]`, derived ones under their parent's name, ordered by
 * name then definition: several share a name, and the order must not depend on the catalog's (nor on
 * the database's collation — the comparison is by code unit).
 */
export function constraintIdentities(t: TableRow): ConstraintIdentity[] {
  return t.constraints
    .map(([name, definition, parent]): ConstraintIdentity => [parent ?? name, definition])
    .sort(([an, ad], [bn, bd]) => byText(an, bn) || byText(ad, bd));
}

/**
 * The drift shape's constraints: its parts are keyed by name, and a key shares its name with its copies,
 * so one part per name with its definitions in order (`…(id); … REFERENCES customers_eu(id)`): a lost or
 * different copy still shows, on its key.
 */
export function constraintParts(t: TableRow): PartShape[] {
  const out: PartShape[] = [];
  for (const [name, definition] of constraintIdentities(t)) {
    const last = out.at(-1);
    if (last?.name === name) last.definition += `; ${definition}`;
    else out.push({ name, definition });
  }
  return out;
}
