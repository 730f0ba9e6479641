import type { Knex } from 'knex';
import { outsideReferences, type ReferencedTable } from './outside-foreign-keys.js';

/**
 * What a schema tenant's objects use from outside its schema: a type or domain of the shared `public`
 * schema, a function a default or trigger calls, a sequence, an extension. `pg_dump --schema=<tenant>`
 * leaves all of them out of the archive, so an empty scratch database cannot take it; the tenant's own
 * database has them. Found from pg_depend, object by object, and followed transitively (a domain whose
 * check calls a function, a function taking a type, an extension requiring another).
 *
 * Objects of template0 (oid < 16384: built-in types, plpgsql) are left out: every database has them.
 * A foreign key's referenced table is one too (see outside-foreign-keys.ts).
 */

export interface SharedObject {
  /** `<catalog oid>:<object oid>`, as pg_restore --list prints them: how the object's entry is found. */
  key: string;
  /** pg_identify_object's words: `type public.mood`, `function public.next_code()`, `extension citext`. */
  what: string;
  /** The schema it lives in (an extension: the schema it was installed into). */
  schema: string;
  /** `<pg_namespace oid>:<schema oid>`: the schema's own entry in a listing. */
  schemaKey: string;
  /** Set for an extension: its name (`pg_dump --extension`). */
  extension?: string;
  /** A part restored with its table (the unique key a foreign key uses): not named in the detail. */
  part?: boolean;
}

export interface SharedDependencies {
  /** What the scratch database gets from the source's schema-only dump, referenced tables included. */
  objects: SharedObject[];
  /** The tables outside the schema its foreign keys reference (see outside-foreign-keys.ts). */
  referenced: ReferencedTable[];
}

const FIRST_NORMAL_OID = 16384;
/** Followed this deep at most: a real chain (domain → function → type → extension) is a few steps. */
const MAX_ROUNDS = 20;

/** The tenant schema's own objects, by catalog: pg_depend records what each of them uses. */
const TENANT_OBJECTS = `
  select 'pg_class'::regclass::oid as classid, c.oid as objid from pg_class c where c.relnamespace = (select oid from t)
  union all select 'pg_type'::regclass::oid, y.oid from pg_type y where y.typnamespace = (select oid from t)
  union all select 'pg_proc'::regclass::oid, p.oid from pg_proc p where p.pronamespace = (select oid from t)
  union all select 'pg_constraint'::regclass::oid, k.oid from pg_constraint k
    where k.connamespace = (select oid from t) and k.contype <> 'f'
  union all select 'pg_collation'::regclass::oid, o.oid from pg_collation o where o.collnamespace = (select oid from t)
  union all select 'pg_operator'::regclass::oid, o.oid from pg_operator o where o.oprnamespace = (select oid from t)
  union all select 'pg_statistic_ext'::regclass::oid, s.oid from pg_statistic_ext s where s.stxnamespace = (select oid from t)
  union all select 'pg_attrdef'::regclass::oid, a.oid from pg_attrdef a
    join pg_class c on c.oid = a.adrelid where c.relnamespace = (select oid from t)
  union all select 'pg_trigger'::regclass::oid, g.oid from pg_trigger g
    join pg_class c on c.oid = g.tgrelid where c.relnamespace = (select oid from t) and not g.tgisinternal
  union all select 'pg_rewrite'::regclass::oid, r.oid from pg_rewrite r
    join pg_class c on c.oid = r.ev_class where c.relnamespace = (select oid from t)
  union all select 'pg_policy'::regclass::oid, p.oid from pg_policy p
    join pg_class c on c.oid = p.polrelid where c.relnamespace = (select oid from t)`;

/**
 * A shared object's own parts use things too (a domain's check constraint, a table's defaults and
 * indexes): they are created with it. Its triggers, policies and foreign keys are not.
 */
const PARTS_OF_FRONTIER = `
  select classid, objid from f
  union
  select d.classid, d.objid from pg_depend d join f on d.refclassid = f.classid and d.refobjid = f.objid
  where d.deptype in ('a', 'i') and d.classid not in ('pg_trigger'::regclass, 'pg_policy'::regclass)
    and not exists (select 1 from pg_constraint k
      where d.classid = 'pg_constraint'::regclass and k.oid = d.objid and k.contype = 'f')`;

/**
 * The schema of object `r` by its catalog (pg_identify_object's is quoted: `"a b"`, not `a b`); null for
 * what lives in no schema (a cast, a language).
 */
const NAMESPACE_OF = `case r.classid
    when 'pg_class'::regclass then (select relnamespace from pg_class where oid = r.objid)
    when 'pg_type'::regclass then (select typnamespace from pg_type where oid = r.objid)
    when 'pg_proc'::regclass then (select pronamespace from pg_proc where oid = r.objid)
    when 'pg_constraint'::regclass then (select connamespace from pg_constraint where oid = r.objid)
    when 'pg_collation'::regclass then (select collnamespace from pg_collation where oid = r.objid)
    when 'pg_operator'::regclass then (select oprnamespace from pg_operator where oid = r.objid)
    when 'pg_opclass'::regclass then (select opcnamespace from pg_opclass where oid = r.objid)
    when 'pg_opfamily'::regclass then (select opfnamespace from pg_opfamily where oid = r.objid)
    when 'pg_conversion'::regclass then (select connamespace from pg_conversion where oid = r.objid)
    when 'pg_ts_config'::regclass then (select cfgnamespace from pg_ts_config where oid = r.objid)
    when 'pg_ts_dict'::regclass then (select dictnamespace from pg_ts_dict where oid = r.objid)
    when 'pg_statistic_ext'::regclass then (select stxnamespace from pg_statistic_ext where oid = r.objid)
    when 'pg_extension'::regclass then (select extnamespace from pg_extension where oid = r.objid)
  end`;

/**
 * What the given objects use, each resolved to what pg_dump dumps: an array type or a table's row type
 * to its owner (internal dependencies, followed up), an extension's member to the extension.
 */
function usesSql(objects: string): string {
  return `with recursive t as (select oid from pg_namespace where nspname = ?),
    f(classid, objid) as (select * from unnest(?::oid[], ?::oid[])),
    objects(classid, objid) as (${objects}),
    used as (
      select distinct d.refclassid as classid, d.refobjid as objid from pg_depend d
      join objects o on d.classid = o.classid and d.objid = o.objid
      where d.deptype = 'n' and d.refobjid >= ${FIRST_NORMAL_OID} and d.refclassid <> 'pg_namespace'::regclass),
    owner(classid, objid, start_class, start_obj, depth) as (
      select classid, objid, classid, objid, 0 from used
      union all
      select i.refclassid, i.refobjid, o.start_class, o.start_obj, o.depth + 1 from owner o
      join pg_depend i on i.classid = o.classid and i.objid = o.objid and i.deptype = 'i'
      where o.depth < 10),
    top as (
      select distinct on (start_class, start_obj) classid, objid from owner
      order by start_class, start_obj, depth desc),
    resolved as (
      select distinct coalesce(e.refclassid, top.classid) as classid, coalesce(e.refobjid, top.objid) as objid
      from top left join pg_depend e on e.classid = top.classid and e.objid = top.objid
        and e.refclassid = 'pg_extension'::regclass and e.deptype = 'e')
    select r.classid::int8::text || ':' || r.objid::int8::text as key,
      concat_ws(' ', i.type, i.identity) as what, x.extname as extension, n.nspname as schema,
      'pg_namespace'::regclass::oid::int8::text || ':' || n.oid::int8::text as "schemaKey"
    from resolved r cross join lateral pg_identify_object(r.classid, r.objid, 0) i
    left join pg_extension x on r.classid = 'pg_extension'::regclass and x.oid = r.objid
    left join pg_namespace n on n.oid = ${NAMESPACE_OF}
    where r.objid >= ${FIRST_NORMAL_OID}`;
}

interface UsedRow {
  key: string;
  what: string;
  extension: string | null;
  schema: string | null;
  schemaKey: string;
  part?: boolean;
}

/**
 * The shared objects `schema`'s objects need, on the tenant's connection (catalog reads only). A table
 * another schema's foreign key references is one of them, with the unique key the foreign key uses: both
 * are followed like the rest (its column types, its defaults' functions, the key's operator classes).
 */
export async function sharedDependencies(knex: Knex, schema: string): Promise<SharedDependencies> {
  const referenced = await outsideReferences(knex, schema);
  const found = new Map<string, SharedObject>();
  // Seeded after the first round, whose query starts from the tenant's own objects.
  const seeds = referenced.flatMap((r) => [r.table, ...r.uniqueKeys]);
  let frontier: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const sql = usesSql(round === 0 ? TENANT_OBJECTS : PARTS_OF_FRONTIER);
    // Array literals: knex would expand a JS array into a list of bindings.
    const classes = `{${frontier.map((k) => k.split(':')[0]).join(',')}}`;
    const oids = `{${frontier.map((k) => k.split(':')[1]).join(',')}}`;
    const res = await knex.raw(sql, [schema, classes, oids]);
    frontier = [];
    const rows = res.rows as UsedRow[];
    if (round === 0) rows.push(...seeds.map((o) => ({ ...o, extension: null })));
    for (const row of rows) {
      // The tenant's own objects are in the archive; catalogs without a schema (a cast, a language) are
      // either built in or come with an extension.
      if (found.has(row.key) || row.schema === null || (row.schema === schema && !row.extension)) continue;
      found.set(row.key, {
        key: row.key,
        what: row.what,
        schema: row.schema,
        schemaKey: row.schemaKey,
        ...(row.extension ? { extension: row.extension } : {}),
        ...(row.part ? { part: true } : {}),
      });
      frontier.push(row.key);
    }
    if (frontier.length === 0) break;
  }
  return { objects: [...found.values()], referenced };
}
