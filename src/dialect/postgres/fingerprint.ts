import type { Knex } from 'knex';
import type { Fingerprint, FingerprintLevel, TableFingerprint } from '../backup-types.js';
import { buildFingerprint, hashOf } from '../fingerprint-hash.js';

/**
 * Fingerprint of a PostgreSQL database (or of one schema, for schema-per-tenant).
 * Runs inside a transaction with `search_path = pg_catalog`, so every deparsed name is schema-qualified
 * and the text is the same in the source and in a restored copy whatever their search paths.
 * Extension members are left out: pg_dump does not dump them, CREATE EXTENSION recreates them.
 */

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

const SCOPE = `n.nspname <> 'information_schema' and n.nspname !~ '^pg_' and (?::text is null or n.nspname = ?)`;
const NOT_EXTENSION_MEMBER = (classid: string, oid: string) =>
  `not exists (select 1 from pg_catalog.pg_depend dep where dep.classid = '${classid}'::regclass and dep.objid = ${oid} and dep.deptype = 'e')`;

const TABLES_SQL = `
select c.oid::int8 as oid, n.nspname as schema, c.relname as name, c.relkind as kind, c.relpersistence as persistence,
  case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partkey,
  case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end as partbound,
  (select coalesce(json_agg(json_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
            pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,
            case when a.attcollation <> t.typcollation then (select cn.nspname || '.' || col.collname
              from pg_collation col join pg_namespace cn on cn.oid = col.collnamespace where col.oid = a.attcollation) end) order by a.attnum), '[]')
     from pg_attribute a join pg_type t on t.oid = a.atttypid
     left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
  (select coalesce(json_agg(pg_get_indexdef(i.indexrelid) order by pg_get_indexdef(i.indexrelid)), '[]')
     from pg_index i where i.indrelid = c.oid) as indexes,
  (select coalesce(json_agg(co.conname || ' ' || pg_get_constraintdef(co.oid) order by co.conname, pg_get_constraintdef(co.oid)), '[]')
     from pg_constraint co where co.conrelid = c.oid) as constraints
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and ${SCOPE} and ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
order by n.nspname, c.relname`;

/** Structure that is not a table: user-defined enum and domain types, views, materialized views. */
const OBJECTS_SQL = `
select 'type ' || n.nspname || '.' || t.typname as key,
  case t.typtype
    when 'e' then (select json_agg(e.enumlabel order by e.enumsortorder)::text from pg_enum e where e.enumtypid = t.oid)
    else format_type(t.typbasetype, t.typtypmod) || ' ' || t.typnotnull::text || coalesce(' ' || (
      select string_agg(pg_get_constraintdef(co.oid), ' ' order by co.conname) from pg_constraint co where co.contypid = t.oid), '')
  end as def
from pg_type t join pg_namespace n on n.oid = t.typnamespace
where t.typtype in ('e', 'd') and ${SCOPE} and ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
union all
select case c.relkind when 'v' then 'view ' else 'materialized view ' end || n.nspname || '.' || c.relname, pg_get_viewdef(c.oid)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm') and ${SCOPE} and ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`;

interface TableRow {
  oid: string;
  schema: string;
  name: string;
  kind: string;
  persistence: string;
  partkey: string | null;
  partbound: string | null;
  columns: unknown;
  indexes: unknown;
  constraints: unknown;
}

const COUNT_BATCH = 50;

async function countRows(trx: Knex.Transaction, tables: TableRow[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  // ONLY: a partitioned parent holds no rows itself, its partitions are counted once each.
  for (let i = 0; i < tables.length; i += COUNT_BATCH) {
    const batch = tables.slice(i, i + COUNT_BATCH);
    const sql = batch
      .map(
        (t) =>
          `select ${Number(t.oid)}::int8 as oid, count(*)::int8 as n from only ${q(t.schema)}.${q(t.name)}`,
      )
      .join(' union all ');
    const res = await trx.raw(sql);
    for (const row of res.rows as { oid: string; n: string }[]) counts.set(String(row.oid), Number(row.n));
  }
  return counts;
}

/** Sum of 128-bit row hashes (two 64-bit halves summed as numeric): no sort, one pass. */
async function hashContent(trx: Knex.Transaction, t: TableRow): Promise<{ rows: number; content: string }> {
  const res = await trx.raw(`
    select count(*)::int8 as n,
      coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::int8::numeric), 0)::text as a,
      coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::int8::numeric), 0)::text as b
    from (select md5(r::text) as h from only ${q(t.schema)}.${q(t.name)} r) s`);
  const row = res.rows[0] as { n: string; a: string; b: string };
  return { rows: Number(row.n), content: hashOf([row.n, row.a, row.b], 32) };
}

export async function fingerprintPostgres(
  trx: Knex.Transaction,
  level: FingerprintLevel,
  schema: string | null,
): Promise<Fingerprint> {
  await trx.raw('set local search_path = pg_catalog');
  const tables = (await trx.raw(TABLES_SQL, [schema, schema])).rows as TableRow[];
  const objectRows = (await trx.raw(OBJECTS_SQL, [schema, schema, schema, schema])).rows as {
    key: string;
    def: string;
  }[];

  const counts = level === 'counts' ? await countRows(trx, tables) : new Map<string, number>();
  const out: Record<string, TableFingerprint> = {};
  for (const t of tables) {
    const entry: TableFingerprint = {
      schema: hashOf([t.kind, t.persistence, t.partkey, t.partbound, t.columns, t.indexes, t.constraints]),
    };
    if (level === 'counts') entry.rows = counts.get(String(t.oid)) ?? 0;
    if (level === 'full') Object.assign(entry, await hashContent(trx, t));
    out[`${t.schema}.${t.name}`] = entry;
  }
  const objects = Object.fromEntries(objectRows.map((o) => [o.key, hashOf(o.def)]));
  return buildFingerprint(level, out, objects);
}

/** Runs the fingerprint in its own read-only transaction (for a live or a restored database). */
export function fingerprintPostgresDb(
  knex: Knex,
  level: FingerprintLevel,
  schema: string | null,
): Promise<Fingerprint> {
  return knex.transaction(async (trx) => {
    await trx.raw('set transaction isolation level repeatable read, read only');
    await trx.raw('set local statement_timeout = 0');
    return fingerprintPostgres(trx, level, schema);
  });
}
