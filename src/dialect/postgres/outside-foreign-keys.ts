import type { Knex } from 'knex';

/**
 * The tables outside a schema tenant's schema that its foreign keys reference (`public.plans`, a table of
 * another schema). `pg_dump --schema=<tenant>` dumps the keys but neither those tables nor their rows, so
 * a scratch restore of the archive cannot create the keys unless the scratch database has the tables and
 * the key values first (see scratch-referenced-keys.ts).
 */

/** An entry of the source's schema-only dump, as shared-dependencies.ts selects them. */
export interface DumpEntry {
  /** `<catalog oid>:<object oid>`, as pg_restore --list prints them. */
  key: string;
  /** pg_identify_object's words: `table public.plans`. */
  what: string;
  schema: string;
  /** `<pg_namespace oid>:<schema oid>`. */
  schemaKey: string;
  /** Restored with its table, not named on its own. */
  part?: boolean;
}

export interface ReferencedTable {
  /** The table's own dump entry. */
  table: DumpEntry;
  oid: string;
  /** Quoted and qualified, for SQL: `public.plans`, `"Shared".regions`. */
  name: string;
  partitioned: boolean;
  /** The extension the table belongs to (PostGIS's `spatial_ref_sys`): pg_dump dumps no such table. */
  extension?: string;
  /** Each distinct column list a foreign key references, in the key's order. */
  keys: string[][];
  /** The unique constraints (or unique indexes) those keys rest on: the foreign key needs them. */
  uniqueKeys: DumpEntry[];
  /** `ta.accounts (accounts_plan_id_fkey)`, for messages. */
  foreignKeys: string[];
}

/**
 * Top-level keys only (`conparentid = 0`): the copies PostgreSQL derives on partitions — of a
 * partitioned tenant table, or for each partition of a partitioned referenced table — come back with
 * the archive's key by themselves.
 */
const OUTSIDE_FOREIGN_KEYS_SQL = `
select format('%I.%I (%I)', n.nspname, c.relname, k.conname) as fk,
  fc.oid::int8::text as oid, format('%I.%I', fn.nspname, fc.relname) as name, fc.relkind = 'p' as partitioned,
  fn.nspname as schema, 'pg_namespace'::regclass::oid::int8::text || ':' || fn.oid::int8::text as "schemaKey",
  'pg_class'::regclass::oid::int8::text || ':' || fc.oid::int8::text as "tableKey",
  concat_ws(' ', ti.type, ti.identity) as "tableWhat",
  (select array_agg(a.attname::text order by u.ord)
     from unnest(k.confkey) with ordinality u(attnum, ord)
     join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum) as columns,
  (select x.extname from pg_depend d join pg_extension x on x.oid = d.refobjid
    where d.classid = 'pg_class'::regclass and d.objid = fc.oid and d.refclassid = 'pg_extension'::regclass
      and d.deptype = 'e') as extension,
  uk.classid::int8::text || ':' || uk.objid::int8::text as "uniqueKey",
  concat_ws(' ', ui.type, ui.identity) as "uniqueWhat"
from pg_constraint k
  join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
  join pg_class fc on fc.oid = k.confrelid join pg_namespace fn on fn.oid = fc.relnamespace
  cross join lateral pg_identify_object('pg_class'::regclass, fc.oid, 0) ti
  -- pg_dump dumps a PRIMARY KEY or UNIQUE constraint as the constraint, a bare unique index as the index.
  cross join lateral (select coalesce((select uc.oid from pg_constraint uc
      where uc.conindid = k.conindid and uc.conrelid = k.confrelid and uc.contype in ('p', 'u')), 0) as conoid) uc
  cross join lateral (select
      case when uc.conoid <> 0 then 'pg_constraint'::regclass::oid else 'pg_class'::regclass::oid end as classid,
      case when uc.conoid <> 0 then uc.conoid else k.conindid end as objid) uk
  cross join lateral pg_identify_object(uk.classid, uk.objid, 0) ui
where k.contype = 'f' and k.conparentid = 0 and n.nspname = ? and fn.nspname <> n.nspname
order by fn.nspname, fc.relname, k.conname`;

interface ForeignKeyRow {
  fk: string;
  oid: string;
  name: string;
  partitioned: boolean;
  schema: string;
  schemaKey: string;
  tableKey: string;
  tableWhat: string;
  columns: string[];
  extension: string | null;
  uniqueKey: string;
  uniqueWhat: string;
}

/** The referenced tables outside `schema`, one entry per table (catalog reads only). */
export async function outsideReferences(knex: Knex, schema: string): Promise<ReferencedTable[]> {
  const res = await knex.raw(OUTSIDE_FOREIGN_KEYS_SQL, [schema]);
  const tables = new Map<string, ReferencedTable>();
  for (const row of res.rows as ForeignKeyRow[]) {
    const entry = (key: string, what: string, part?: boolean): DumpEntry => ({
      key,
      what,
      schema: row.schema,
      schemaKey: row.schemaKey,
      ...(part ? { part } : {}),
    });
    let t = tables.get(row.oid);
    if (!t) {
      t = {
        table: entry(row.tableKey, row.tableWhat),
        oid: row.oid,
        name: row.name,
        partitioned: row.partitioned,
        ...(row.extension ? { extension: row.extension } : {}),
        keys: [],
        uniqueKeys: [],
        foreignKeys: [],
      };
      tables.set(row.oid, t);
    }
    t.foreignKeys.push(row.fk);
    if (!t.keys.some((k) => k.join('\0') === row.columns.join('\0'))) t.keys.push(row.columns);
    if (!t.uniqueKeys.some((u) => u.key === row.uniqueKey))
      t.uniqueKeys.push(entry(row.uniqueKey, row.uniqueWhat, true));
  }
  return [...tables.values()];
}
