/**
 * T-SQL quoting. Every name or value that reaches generated SQL goes through one of these, so a tenant
 * database called `x]; DROP DATABASE y; --` or `o'brien` is only ever a name.
 */

/** sysname is nvarchar(128): the server rejects longer identifiers, so fail before building SQL with one. */
const MAX_IDENTIFIER_LENGTH = 128;

/** `[name]` with `]` doubled. Brackets work regardless of QUOTED_IDENTIFIER, unlike double quotes. */
export function quoteIdent(name: string): string {
  if (name === '') throw new Error('an identifier cannot be empty');
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    throw new Error(
      `identifier is ${name.length} characters long; SQL Server allows at most ${MAX_IDENTIFIER_LENGTH}`,
    );
  }
  if (name.includes('\0')) throw new Error('an identifier cannot contain a NUL character');
  return `[${name.replace(/]/g, ']]')}]`;
}

/** `[schema].[name]`. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** `N'value'` with `'` doubled; N keeps non-Latin names and paths intact whatever the database collation. */
export function quoteString(value: string): string {
  return `N'${value.replace(/'/g, "''")}'`;
}

/** A non-negative integer literal: the only way a number is interpolated into SQL. */
export function intLiteral(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${what} must be a non-negative integer, got ${value}`);
  return String(value);
}
