/**
 * The comment lines `plan --sql` writes among a migration's derived SQL (capture-sql.ts): what the
 * derivation assumed or could not do. They are for the reader; lint parses the statements without them.
 */

/** Ends a migration's SQL where it could not be derived further, with why. */
export const NOT_DERIVED = '-- could not derive the rest:';

/**
 * Follows a read (hasTable, hasColumn, a select, a RETURNING) the derivation answered with no rows: the
 * SQL after it is the branch an empty database takes, which a tenant with the table, column or rows skips.
 */
export const ANSWERED_EMPTY =
  "-- answered as an empty database: no rows (the tenant's own answer may differ, and so may what follows)";

export function isDerivationNote(line: string): boolean {
  return line === ANSWERED_EMPTY || line.startsWith(NOT_DERIVED);
}

/** A migration's derived SQL as `plan --sql` prints it: each statement ends with `;`, a note stays a comment. */
export function derivedSqlText(statements: readonly string[]): string {
  return statements.map((s) => (isDerivationNote(s) ? s : `${s.trimEnd().replace(/;$/, '')};`)).join('\n');
}
