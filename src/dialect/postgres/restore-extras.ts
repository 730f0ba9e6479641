import type { Knex } from 'knex';
import pg from 'pg';
import { tocPrintedName } from './toc-list.js';

/**
 * What `pg_restore --clean` cannot undo: objects created after the backup. It drops and recreates what the
 * archive holds, so anything else in the tenant's scope stays — a table or view the rolled-back migration
 * made, but also an enum or domain type, a sequence, a function, a schema. Those are found by comparing the
 * live catalog with the archive's table of contents, and dropped before the restore.
 */
export interface LiveObject {
  /** pg_restore's word for it: `TABLE`, `VIEW`, `TYPE`, `FUNCTION`, `SCHEMA`, … */
  desc: string;
  /** `-` for schemas and extensions, as the listing prints it. */
  schema: string;
  /** The name as pg_dump tags it: a function's is `name(argument types)`. */
  name: string;
  /** What the user is told: `public.t`, `view public.v`, `function public.f(integer)`. */
  key: string;
  /** `drop … if exists <qualified> cascade` (a large object: `lo_unlink`, see restore-large-objects.ts). */
  drop: string;
  /** Lower drops first: views before tables before types before schemas. */
  order: number;
  /** Its catalog's oid and its own (`pg_class`, the table's): how pg_depend names it. */
  classid: string;
  objid: string;
}

/**
 * Every object pg_dump would dump, with pg_dump's tag for it (`TYPE public mood`) and how
 * to drop it. Built-in objects (oid below FirstNormalObjectId: `public`, plpgsql), extension members and
 * objects internal to another are left out, as pg_dump leaves them out. A sequence owned by a column (serial, identity) goes with its table.
 * A schema tenant's scope is its schema; its extensions are never dropped (pg_dump --schema never dumps one).
 * Run with an empty search_path, so regclass/regtype/regprocedure print fully qualified, as pg_dump does.
 */
function inventorySql(schema: string | null): string {
  const own = schema === null ? '' : `and n.nspname = ${pg.escapeLiteral(schema)}`;
  const scope = `n.nspname <> 'information_schema' and n.nspname !~ '^pg_' ${own}`;
  // An extension's member ('e'), or a part of another object ('i': a range type's constructor functions):
  // pg_dump dumps neither, and a part cannot be dropped on its own.
  const notMember = (catalog: string, oid: string) =>
    `${oid} >= 16384 and not exists (select 1 from pg_catalog.pg_depend d where d.classid = '${catalog}'::pg_catalog.regclass and d.objid = ${oid} and d.deptype in ('e', 'i'))`;
  const relation = `case c.relkind when 'v' then 'VIEW' when 'm' then 'MATERIALIZED VIEW' when 'S' then 'SEQUENCE'
      when 'f' then 'FOREIGN TABLE' else 'TABLE' end`;
  const parts = [
    `select ${relation} as tag_desc, n.nspname as schema, c.relname as name, c.oid::pg_catalog.regclass::text as qualified,
       case c.relkind when 'v' then 1 when 'm' then 1 when 'S' then 3 else 2 end as sort,
       'pg_catalog.pg_class'::pg_catalog.regclass::oid::int8::text as classid, c.oid::int8::text as objid
     from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and ${scope} and ${notMember('pg_class', 'c.oid')}
       and not (c.relkind = 'S' and exists (select 1 from pg_catalog.pg_depend d where d.classid = 'pg_class'::pg_catalog.regclass
         and d.objid = c.oid and d.refobjsubid > 0 and d.deptype in ('a', 'i')))`,
    `select case p.prokind when 'p' then 'PROCEDURE' when 'a' then 'AGGREGATE' else 'FUNCTION' end, n.nspname,
       p.proname || '(' || coalesce((select pg_catalog.string_agg(pg_catalog.format_type(a.t, null), ', ' order by a.i)
         from unnest(p.proargtypes) with ordinality as a(t, i)), case p.prokind when 'a' then '*' else '' end) || ')', p.oid::pg_catalog.regprocedure::text, 4,
       'pg_catalog.pg_proc'::pg_catalog.regclass::oid::int8::text, p.oid::int8::text
     from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
     where ${scope} and ${notMember('pg_proc', 'p.oid')}`,
    `select 'COLLATION', n.nspname, o.collname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(o.collname), 5,
       'pg_catalog.pg_collation'::pg_catalog.regclass::oid::int8::text, o.oid::int8::text
     from pg_catalog.pg_collation o join pg_catalog.pg_namespace n on n.oid = o.collnamespace
     where ${scope} and ${notMember('pg_collation', 'o.oid')}`,
    // An operator's tag is its bare name (pg_dump tags every overload alike); its drop names its arguments.
    `select 'OPERATOR', n.nspname, o.oprname, o.oid::pg_catalog.regoperator::text, 4,
       'pg_catalog.pg_operator'::pg_catalog.regclass::oid::int8::text, o.oid::int8::text
     from pg_catalog.pg_operator o join pg_catalog.pg_namespace n on n.oid = o.oprnamespace
     where ${scope} and ${notMember('pg_operator', 'o.oid')}`,
    ...(
      [
        ['TEXT SEARCH CONFIGURATION', 'pg_ts_config', 'cfgname', 'cfgnamespace'],
        ['TEXT SEARCH DICTIONARY', 'pg_ts_dict', 'dictname', 'dictnamespace'],
        ['CONVERSION', 'pg_conversion', 'conname', 'connamespace'],
        ['TEXT SEARCH PARSER', 'pg_ts_parser', 'prsname', 'prsnamespace'],
        ['TEXT SEARCH TEMPLATE', 'pg_ts_template', 'tmplname', 'tmplnamespace'],
      ] as const
    ).map(
      ([desc, catalog, name, namespace]) =>
        `select '${desc}', n.nspname, x.${name}, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(x.${name}), 5,
       'pg_catalog.${catalog}'::pg_catalog.regclass::oid::int8::text, x.oid::int8::text
     from pg_catalog.${catalog} x join pg_catalog.pg_namespace n on n.oid = x.${namespace}
     where ${scope} and ${notMember(catalog, 'x.oid')}`,
    ),
    // An operator class or family is named with its index method (`public.ops using btree`); pg_dump's tag
    // is the bare name. Dropping a family drops its classes.
    ...(
      [
        ['OPERATOR CLASS', 'pg_opclass', 'opcname', 'opcnamespace', 'opcmethod'],
        ['OPERATOR FAMILY', 'pg_opfamily', 'opfname', 'opfnamespace', 'opfmethod'],
      ] as const
    ).map(
      ([desc, catalog, name, namespace, method]) =>
        `select '${desc}', n.nspname, x.${name}, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(x.${name})
         || ' using ' || pg_catalog.quote_ident((select a.amname from pg_catalog.pg_am a where a.oid = x.${method})), 4,
       'pg_catalog.${catalog}'::pg_catalog.regclass::oid::int8::text, x.oid::int8::text
     from pg_catalog.${catalog} x join pg_catalog.pg_namespace n on n.oid = x.${namespace}
     where ${scope} and ${notMember(catalog, 'x.oid')}`,
    ),
    `select case t.typtype when 'd' then 'DOMAIN' else 'TYPE' end, n.nspname, t.typname, t.oid::pg_catalog.regtype::text, 5,
       'pg_catalog.pg_type'::pg_catalog.regclass::oid::int8::text, t.oid::int8::text
     from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
     where (t.typtype in ('e', 'd', 'r')
         or (t.typtype = 'c' and (select c.relkind from pg_catalog.pg_class c where c.oid = t.typrelid) = 'c'))
       and ${scope} and ${notMember('pg_type', 't.oid')}`,
  ];
  if (schema === null) {
    // Database-wide objects only a database tenant's archive holds. An event trigger goes first: it fires
    // on the drops and on pg_restore's own DDL, and one on a function the archive holds blocks its drop.
    parts.push(
      `select 'EVENT TRIGGER', '-', e.evtname, pg_catalog.quote_ident(e.evtname), 0,
       'pg_catalog.pg_event_trigger'::pg_catalog.regclass::oid::int8::text, e.oid::int8::text
       from pg_catalog.pg_event_trigger e where ${notMember('pg_event_trigger', 'e.oid')}`,
      `select 'PUBLICATION', '-', p.pubname, pg_catalog.quote_ident(p.pubname), 0,
       'pg_catalog.pg_publication'::pg_catalog.regclass::oid::int8::text, p.oid::int8::text
       from pg_catalog.pg_publication p where p.oid >= 16384`,
    );
    // Casts, foreign-data wrappers, servers and user mappings belong to the database: pg_dump --schema
    // never dumps them. A cast's and a user mapping's tag is the whole phrase (`CAST (a AS b)`).
    parts.push(
      `select 'CAST', '-', 'CAST (' || pg_catalog.format_type(c.castsource, null) || ' AS ' || pg_catalog.format_type(c.casttarget, null) || ')',
         '(' || pg_catalog.format_type(c.castsource, null) || ' as ' || pg_catalog.format_type(c.casttarget, null) || ')', 4,
       'pg_catalog.pg_cast'::pg_catalog.regclass::oid::int8::text, c.oid::int8::text
       from pg_catalog.pg_cast c where ${notMember('pg_cast', 'c.oid')}`,
      `select 'USER MAPPING', '-', 'USER MAPPING ' || u.usename || ' SERVER ' || u.srvname,
         'for ' || case when u.umuser = 0 then 'public' else pg_catalog.quote_ident(u.usename) end || ' server ' || pg_catalog.quote_ident(u.srvname), 4,
       'pg_catalog.pg_user_mapping'::pg_catalog.regclass::oid::int8::text, u.umid::int8::text
       from pg_catalog.pg_user_mappings u where ${notMember('pg_user_mapping', 'u.umid')}`,
      `select 'SERVER', '-', s.srvname, pg_catalog.quote_ident(s.srvname), 5,
       'pg_catalog.pg_foreign_server'::pg_catalog.regclass::oid::int8::text, s.oid::int8::text
       from pg_catalog.pg_foreign_server s where ${notMember('pg_foreign_server', 's.oid')}`,
      `select 'FOREIGN DATA WRAPPER', '-', w.fdwname, pg_catalog.quote_ident(w.fdwname), 6,
       'pg_catalog.pg_foreign_data_wrapper'::pg_catalog.regclass::oid::int8::text, w.oid::int8::text
       from pg_catalog.pg_foreign_data_wrapper w where ${notMember('pg_foreign_data_wrapper', 'w.oid')}`,
    );
    parts.push(
      `select 'EXTENSION', '-', e.extname, pg_catalog.quote_ident(e.extname), 6,
       'pg_catalog.pg_extension'::pg_catalog.regclass::oid::int8::text, e.oid::int8::text
       from pg_catalog.pg_extension e where e.oid >= 16384`,
      `select 'SCHEMA', '-', n.nspname, pg_catalog.quote_ident(n.nspname), 7,
       'pg_catalog.pg_namespace'::pg_catalog.regclass::oid::int8::text, n.oid::int8::text
       from pg_catalog.pg_namespace n where ${scope} and ${notMember('pg_namespace', 'n.oid')}`,
    );
  }
  return parts.join('\nunion all\n');
}

function keyOf(desc: string, schema: string, name: string): string {
  if (desc === 'TABLE') return `${schema}.${name}`;
  // Its tag already says what it is: `CAST (app.mood AS text)`, `USER MAPPING public SERVER s`.
  if (name.startsWith(`${desc} `)) return name;
  const what = desc.toLowerCase();
  return schema === '-' ? `${what} ${name}` : `${what} ${schema}.${name}`;
}

interface InventoryRow {
  tag_desc: string;
  schema: string;
  name: string;
  qualified: string;
  sort: number;
  classid: string;
  objid: string;
}

/** The tenant's objects in pg_dump's scope, read in a transaction with an empty search_path. */
export async function liveObjects(knex: Knex, schema: string | null): Promise<LiveObject[]> {
  const rows = await knex.transaction(async (trx) => {
    await trx.raw("select pg_catalog.set_config('search_path', '', true)");
    const res = await trx.raw(inventorySql(schema));
    return res.rows as InventoryRow[];
  });
  return rows.map((r) => ({
    desc: r.tag_desc,
    schema: r.schema,
    name: r.name,
    key: keyOf(r.tag_desc, r.schema, r.name),
    // pg_restore's words are SQL's: `drop materialized view`, `drop domain`, `drop aggregate`.
    // DROP USER MAPPING takes no CASCADE (nothing depends on one).
    drop: `drop ${r.tag_desc.toLowerCase()} if exists ${r.qualified}${r.tag_desc === 'USER MAPPING' ? '' : ' cascade'}`,
    order: r.sort,
    classid: r.classid,
    objid: r.objid,
  }));
}

/**
 * The objects the archive does not hold: those whose tag (`DESC schema name `, then an owner without spaces)
 * no entry of the listing has. By name, not by catalog id: an object renamed since the backup keeps its id,
 * yet pg_restore recreates it under the old name and would leave the renamed one beside it. A tag printed
 * differently from pg_dump's only costs a drop pg_restore would have done anyway — it drops and recreates
 * every object the archive holds.
 */
export function objectsMissingFromToc(list: string, objects: readonly LiveObject[]): LiveObject[] {
  const tags = new Set<string>();
  for (const line of list.split('\n')) {
    const m = /^\d+; \d+ \d+ (.*)$/.exec(line);
    // Drop the owner (the last word; empty for an extension) to get the tag.
    if (m) tags.add(m[1]!.slice(0, m[1]!.lastIndexOf(' ') + 1));
  }
  return objects.filter((o) => !tags.has(`${o.desc} ${tocPrintedName(o.schema)} ${tocPrintedName(o.name)} `));
}
