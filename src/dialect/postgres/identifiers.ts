export function quotePostgresIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table name, qualified with the tenant's schema when it has one (else found through search_path). */
export function qualifiedTable(schema: string | undefined, name: string): string {
  return schema
    ? `${quotePostgresIdentifier(schema)}.${quotePostgresIdentifier(name)}`
    : quotePostgresIdentifier(name);
}
