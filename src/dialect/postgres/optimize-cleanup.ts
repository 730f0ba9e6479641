import type { Knex } from 'knex';
import type { BatchQuery, DeleteBatchResult, TableInfo } from '../optimize-types.js';
import { q, qualified } from './optimize-index.js';

/**
 * Finds the table in the tenant's schema (the session's current_schema: the tenant's own schema, or the
 * database's default one) — never further down the search_path, so a schema tenant can never reach a
 * shared table in `public` that every other tenant would then clean too. Reads its primary key.
 */
export async function describePostgresTable(db: Knex, table: string): Promise<TableInfo | undefined> {
  const res = await db.raw(
    `select c.relname as name, n.nspname as schema,
            coalesce((select array_agg(a.attname::text order by array_position(x.indkey::int2[], a.attnum))
                        from pg_index x
                        join pg_attribute a on a.attrelid = x.indrelid and a.attnum = any(x.indkey::int2[])
                       where x.indrelid = c.oid and x.indisprimary), '{}') as primary_key
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
      where c.relname = ? and n.nspname = current_schema() and c.relkind in ('r', 'p')`,
    [table],
  );
  const row = res.rows[0] as { name: string; schema: string; primary_key: string[] } | undefined;
  return row ? { name: row.name, schema: row.schema, primaryKey: row.primary_key } : undefined;
}

/** `"id"` or `("a", "b")`: row-value comparisons walk a composite key in index order. */
function keyRow(key: readonly string[]): string {
  return key.length === 1 ? q(key[0]!) : `(${key.map(q).join(', ')})`;
}

function placeholders(n: number): string {
  return n === 1 ? '?' : `(${Array.from({ length: n }, () => '?').join(', ')})`;
}

function after(query: BatchQuery, last?: unknown[]): { sql: string; bindings: unknown[] } {
  if (!last) return { sql: '', bindings: [] };
  return { sql: ` and ${keyRow(query.key)} > ${placeholders(query.key.length)}`, bindings: last };
}

export async function countPostgresMatching(db: Knex, query: BatchQuery): Promise<number> {
  const res = await db.raw(
    `select count(*) as n from ${qualified(query.table)} where (${query.where})`,
    bind([...query.bindings]),
  );
  return Number(res.rows[0].n);
}

/**
 * One batch in one statement: pick the next `limit` matching keys after the cursor (an index range scan
 * on the primary key), delete those rows — re-checking the predicate, in case a row changed since — and
 * return the last key as text, which PostgreSQL parses back exactly whatever the key's type.
 */
export async function deletePostgresBatch(
  trx: Knex.Transaction,
  query: BatchQuery & { after?: unknown[]; limit: number },
): Promise<DeleteBatchResult> {
  const table = qualified(query.table);
  const columns = query.key.map(q).join(', ');
  const cursor = after(query, query.after);
  const lastColumns = query.key.map((k, i) => `${q(k)}::text as "k${i}"`).join(', ');
  const descending = query.key.map((k) => `${q(k)} desc`).join(', ');
  const sql = `with batch as (
      select ${columns} from ${table} where (${query.where})${cursor.sql} order by ${columns} limit ?
    ), gone as (
      delete from ${table} where (${query.where}) and ${keyRow(query.key)} in (select ${columns} from batch) returning 1
    )
    select (select count(*) from batch)::int as scanned, (select count(*) from gone)::int as deleted, l.*
      from (select 1) as one
      left join (select ${lastColumns} from batch order by ${descending} limit 1) as l on true`;
  const res = await trx.raw(
    sql,
    bind([...query.bindings, ...cursor.bindings, query.limit, ...query.bindings]),
  );
  const row = res.rows[0] as Record<string, unknown>;
  const scanned = Number(row.scanned);
  const lastKey = scanned > 0 ? query.key.map((_, i) => row[`k${i}`]) : undefined;
  return { scanned, deleted: Number(row.deleted), ...(lastKey ? { lastKey } : {}) };
}

/** User bindings are whatever the definition holds; knex passes them to the driver as they are. */
function bind(values: readonly unknown[]): Knex.RawBinding[] {
  return values as Knex.RawBinding[];
}
