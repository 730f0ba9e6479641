/** knex's `migrations.tableName` / `migrations.schemaName` from the knexfile. */
export interface HistoryOptions {
  /** knex's history table (default `knex_migrations`); its lock table is `<tableName>_lock`, as in knex. */
  tableName?: string;
  /** The schema that holds the history, lock and checksum tables; it wins over a tenant's own schema. */
  schemaName?: string;
}
