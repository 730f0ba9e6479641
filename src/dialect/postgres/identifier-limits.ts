/**
 * PostgreSQL keeps at most NAMEDATALEN - 1 = 63 bytes of an identifier and silently cuts the rest (a
 * database name in the startup packet too): two tenants whose schema names differ only after byte 63
 * would share one schema, and a backup, restore or drop meant for one would hit both. Such names are
 * refused before anything runs. A NUL cannot be part of any PostgreSQL name.
 */
export const POSTGRES_MAX_IDENTIFIER_BYTES = 63;

function nameProblem(what: string, name: string): string | undefined {
  if (name.includes('\0')) return `${what} ${JSON.stringify(name)} contains a NUL character`;
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > POSTGRES_MAX_IDENTIFIER_BYTES)
    return `${what} ${JSON.stringify(name)} is ${bytes} bytes; PostgreSQL keeps only the first ${POSTGRES_MAX_IDENTIFIER_BYTES}, so it would silently become another name`;
  return undefined;
}

export function postgresNamingProblems(target: { database: string; schema?: string }): string[] {
  const problems = [nameProblem('database name', target.database)];
  if (target.schema !== undefined) problems.push(nameProblem('schema', target.schema));
  return problems.filter((p): p is string => p !== undefined);
}
