import pg from 'pg';

/**
 * The catalog reads behind both the backup fingerprint (fingerprint.ts) and the drift shape
 * (schema-shape.ts): one set of queries, so what a backup's hash covers and what drift compares cannot
 * drift apart. The tenant's schema (schema-per-tenant) is inlined as a literal so the drift read can go
 * to the server as one multi-statement round trip, which takes no parameters.
 * Extension members are left out: pg_dump does not dump them, CREATE EXTENSION recreates them.
 */

function scope(schema: string | null): string {
  const own = schema === null ? '' : ` and n.nspname = ${pg.escapeLiteral(schema)}`;
  return `n.nspname <> 'information_schema' and n.nspname !~ '^pg_'${own}`;
}

const NOT_EXTENSION_MEMBER = (classid: string, oid: string) =>
  `not exists (select 1 from pg_catalog.pg_depend dep where dep.classid = '${classid}'::regclass and dep.objid = ${oid} and dep.deptype = 'e')`;

/**
 * The name of the top-level constraint a derived one (`co`, conparentid <> 0) comes from, up its chain of
 * parents: a foreign key into a sub-partitioned table derives copies of copies.
 */
const TOP_PARENT_NAME = `with recursive up (parent, name) as (
    select p.conparentid, p.conname from pg_constraint p where p.oid = co.conparentid
    union all select p.conparentid, p.conname from pg_constraint p join up on p.oid = up.parent)
  select up.name from up where up.parent = 0`;

/**
 * Tables with their parts, each list in a fixed order. `indexes` is `[name, definition, valid]` ordered by
 * definition and `constraints` `[name, definition, top parent's name]` ordered by name: the backup hash
 * of fingerprint version 1 takes them exactly as it always did (definitions; `name definition`), so
 * manifests written before stay verifiable. The parent's name is null unless PostgreSQL derived the
 * constraint itself (see constraint-identity.ts).
 * `triggers` (user triggers, `[name, definition, tgenabled]`), index validity, row-level security and its
 * policies only feed the drift shape.
 */
export function tablesSql(schema: string | null): string {
  return `
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
  (select coalesce(json_agg(json_build_array(ic.relname, pg_get_indexdef(i.indexrelid), i.indisvalid)
            order by pg_get_indexdef(i.indexrelid)), '[]')
     from pg_index i join pg_class ic on ic.oid = i.indexrelid where i.indrelid = c.oid) as indexes,
  (select coalesce(json_agg(json_build_array(co.conname, pg_get_constraintdef(co.oid),
            case when co.conparentid <> 0 then (${TOP_PARENT_NAME}) end)
            order by co.conname, pg_get_constraintdef(co.oid)), '[]')
     from pg_constraint co where co.conrelid = c.oid) as constraints,
  (select coalesce(json_agg(json_build_array(tg.tgname, pg_get_triggerdef(tg.oid), tg.tgenabled) order by tg.tgname), '[]')
     from pg_trigger tg where tg.tgrelid = c.oid and not tg.tgisinternal) as triggers,
  (select coalesce(json_agg(pn.nspname || '.' || pc.relname order by i.inhseqno), '[]')
     from pg_inherits i join pg_class pc on pc.oid = i.inhparent join pg_namespace pn on pn.oid = pc.relnamespace
    where i.inhrelid = c.oid and not c.relispartition) as inherits,
  c.relrowsecurity as rls, c.relforcerowsecurity as force_rls,
  (select coalesce(json_agg(json_build_array(po.polname, po.polpermissive, po.polcmd,
            pg_get_expr(po.polqual, po.polrelid), pg_get_expr(po.polwithcheck, po.polrelid)) order by po.polname), '[]')
     from pg_policy po where po.polrelid = c.oid) as policies
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p') and ${scope(schema)} and ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}
order by n.nspname, c.relname`;
}

/** Structure that is not a table: user-defined enum and domain types, views, materialized views. */
export function objectsSql(schema: string | null): string {
  return `
select 'type' as kind, n.nspname as schema, t.typname as name,
  case t.typtype
    when 'e' then (select json_agg(e.enumlabel order by e.enumsortorder)::text from pg_enum e where e.enumtypid = t.oid)
    else format_type(t.typbasetype, t.typtypmod) || ' ' || t.typnotnull::text || coalesce(' ' || (
      select string_agg(pg_get_constraintdef(co.oid), ' ' order by co.conname) from pg_constraint co where co.contypid = t.oid), '')
  end as def
from pg_type t join pg_namespace n on n.oid = t.typnamespace
where t.typtype in ('e', 'd') and ${scope(schema)} and ${NOT_EXTENSION_MEMBER('pg_type', 't.oid')}
union all
select case c.relkind when 'v' then 'view' else 'materialized view' end, n.nspname, c.relname, pg_get_viewdef(c.oid)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm') and ${scope(schema)} and ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`;
}

/**
 * Indexes of materialized views, for the drift shape only (the backup hash never took them): a missing
 * unique one makes `REFRESH MATERIALIZED VIEW CONCURRENTLY` fail on that tenant alone. Keyed
 * `index <schema>.<name>`; an INVALID one says so.
 */
export function matviewIndexesSql(schema: string | null): string {
  return `
select 'index' as kind, n.nspname as schema, ic.relname as name,
  pg_get_indexdef(i.indexrelid) || case when i.indisvalid then '' else ' (INVALID)' end as def
from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class c on c.oid = i.indrelid
  join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'm' and ${scope(schema)} and ${NOT_EXTENSION_MEMBER('pg_class', 'c.oid')}`;
}

/**
 * Functions, procedures and aggregates, for the drift shape only (the backup hash never took them, so
 * manifests stay verifiable): a trigger function hotfixed on one tenant is the classic drift. The
 * definition is what changes behaviour — language, volatility, result, and a digest of the body (the body
 * itself would make the diff line a page long). Extension members and parts of other objects (a range
 * type's constructors) are left out, as pg_dump leaves them out.
 */
export function routinesSql(schema: string | null): string {
  return `
select case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' else 'function' end as kind,
  n.nspname as schema, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name,
  l.lanname || ' ' || case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end
    || coalesce(' returns ' || pg_get_function_result(p.oid), '')
    -- prosqlbody (a BEGIN ATOMIC body) exists from PostgreSQL 14 on: read through to_jsonb, never named
    || ', body ' || left(md5(coalesce(to_jsonb(p) ->> 'prosqlbody', p.prosrc, '')), 12) as def
from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
where ${scope(schema)} and not exists (select 1 from pg_catalog.pg_depend dep where dep.classid = 'pg_proc'::regclass
  and dep.objid = p.oid and dep.deptype in ('e', 'i'))`;
}

/** `[name, type, not null, default or generation expression, attidentity, attgenerated, collation]`. */
export type ColumnTuple = [string, string, boolean, string | null, string, string, string | null];

export interface TableRow {
  oid: string;
  schema: string;
  name: string;
  kind: string;
  persistence: string;
  partkey: string | null;
  partbound: string | null;
  columns: ColumnTuple[];
  indexes: [string, string, boolean][];
  /** `[name, definition, top-level parent's name]`; the parent's null (or absent) for a constraint of its own. */
  constraints: [string, string, (string | null)?][];
  triggers: [string, string, string][];
  /** The parents a table inherits from (INHERITS, not partitions), `schema.table` in order; drift only. */
  inherits?: string[];
  /** Row-level security on (ENABLE), and applied to the owner too (FORCE); drift only. */
  rls?: boolean;
  force_rls?: boolean;
  /** `[name, permissive, polcmd, USING, WITH CHECK]`, by name; drift only. */
  policies?: [string, boolean, string, string | null, string | null][];
}

export interface ObjectRow {
  kind: string;
  schema: string;
  name: string;
  def: string;
}

/** `view public.v`, `type public.mood`: the fingerprint's object keys. */
export const objectKey = (o: ObjectRow) => `${o.kind} ${o.schema}.${o.name}`;
