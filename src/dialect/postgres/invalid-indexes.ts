/**
 * The INVALID indexes in the schemas on the session's search_path, schema-qualified and quoted as
 * PostgreSQL prints them. A `CREATE INDEX CONCURRENTLY` that fails (a deadlock, a cancel, a unique
 * violation) leaves its index behind, INVALID: never used by queries, yet maintained on every write, and
 * an `IF NOT EXISTS` rerun then skips it as if it had been built.
 */
export const INVALID_INDEXES_SQL = `select format('%I.%I', n.nspname, c.relname) as name
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_namespace n on n.oid = c.relnamespace
where not i.indisvalid and n.nspname = any (current_schemas(false))
order by 1`;
