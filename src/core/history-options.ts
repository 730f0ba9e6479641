/** knex's `migrations.tableName` / `migrations.schemaName` from the knexfile. */
export interface HistoryOptions {
  /** knex's history table (default `knex_migrations`); its lock table is `<tableName>_lock`, as in knex. */
  tableName?: string;
  /** The schema that holds the history, lock and checksum tables; it wins over a tenant's own schema. */
  schemaName?: string;
}

export const DEFAULT_HISTORY_TABLE = 'knex_migrations';

/**
 * Where a tenant's knex history table is: `schemaName` when set (knex reads it there whatever the
 * search_path), else the tenant's own schema, else unqualified. The one rule for the migrator's tables
 * (migration/history-location.ts) and for a restore saying which version it brought back.
 */
export function historyTableOf(
  tenant: { schema?: string | undefined },
  options: HistoryOptions = {},
): { table: string; schema?: string } {
  const schema = options.schemaName ?? tenant.schema;
  return { table: options.tableName ?? DEFAULT_HISTORY_TABLE, ...(schema ? { schema } : {}) };
}
