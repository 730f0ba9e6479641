import type { Knex } from 'knex';

/**
 * What outside a schema tenant's schema would go with the objects a restore drops first. Those drops are
 * `… cascade` (a dependent the backup lacks goes too; one it holds, pg_restore recreates), which is right
 * inside the tenant's own schema — pg_restore recreates every object there that the archive holds — but
 * reaches across schemas in a shared database: a view of another tenant over a table this tenant's
 * migration made, another tenant's column of this tenant's new enum type, a foreign key to it. Nothing
 * restores those, and the drops commit before pg_restore runs. Found from pg_depend, followed
 * transitively, before anything is dropped.
 */

/** `<catalog oid>:<object oid>` of each object to drop. */
export interface DropTarget {
  classid: string;
  objid: string;
}

/**
 * The schema an object lives in; for those that live in none of their own (a column default, a trigger,
 * a policy, a view's rule), the schema of the table they belong to.
 */
const NAMESPACE_OF = `case d.classid
    when 'pg_class'::regclass then (select relnamespace from pg_class where oid = d.objid)
    when 'pg_type'::regclass then (select typnamespace from pg_type where oid = d.objid)
    when 'pg_proc'::regclass then (select pronamespace from pg_proc where oid = d.objid)
    when 'pg_constraint'::regclass then (select connamespace from pg_constraint where oid = d.objid)
    when 'pg_collation'::regclass then (select collnamespace from pg_collation where oid = d.objid)
    when 'pg_operator'::regclass then (select oprnamespace from pg_operator where oid = d.objid)
    when 'pg_opclass'::regclass then (select opcnamespace from pg_opclass where oid = d.objid)
    when 'pg_opfamily'::regclass then (select opfnamespace from pg_opfamily where oid = d.objid)
    when 'pg_statistic_ext'::regclass then (select stxnamespace from pg_statistic_ext where oid = d.objid)
    when 'pg_ts_config'::regclass then (select cfgnamespace from pg_ts_config where oid = d.objid)
    when 'pg_attrdef'::regclass then (select c.relnamespace from pg_attrdef a join pg_class c on c.oid = a.adrelid where a.oid = d.objid)
    when 'pg_trigger'::regclass then (select c.relnamespace from pg_trigger g join pg_class c on c.oid = g.tgrelid where g.oid = d.objid)
    when 'pg_policy'::regclass then (select c.relnamespace from pg_policy p join pg_class c on c.oid = p.polrelid where p.oid = d.objid)
    when 'pg_rewrite'::regclass then (select c.relnamespace from pg_rewrite r join pg_class c on c.oid = r.ev_class where r.oid = d.objid)
  end`;

/**
 * A dependent found on a column (another tenant's column of the dropped type) is followed only to what
 * depends on that column: CASCADE drops the column, not its table. Parts reached by an internal dependency
 * (a foreign key's triggers, a table's row type) go with their owner and are not named; a view's rule is
 * named as its view.
 */
const DEPENDENTS_SQL = `with recursive
  targets(classid, objid) as (select * from unnest(?::oid[], ?::oid[])),
  dependents(classid, objid, objsubid, deptype) as (
    select dep.classid, dep.objid, dep.objsubid, dep.deptype from pg_catalog.pg_depend dep
      join targets t on dep.refclassid = t.classid and dep.refobjid = t.objid
    union
    select dep.classid, dep.objid, dep.objsubid, dep.deptype from pg_catalog.pg_depend dep
      join dependents x on dep.refclassid = x.classid and dep.refobjid = x.objid
        and (x.objsubid = 0 or dep.refobjsubid = x.objsubid))
  select distinct case when d.classid = 'pg_rewrite'::regclass
      then pg_catalog.pg_describe_object('pg_class'::regclass, (select ev_class from pg_rewrite where oid = d.objid), 0)
      else pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid) end as what
  from dependents d join pg_catalog.pg_namespace n on n.oid = (${NAMESPACE_OF})
  -- A table's TOAST table and its index live in pg_toast and go with it.
  where d.deptype <> 'i' and n.nspname <> ? and n.nspname !~ '^pg_'
  order by 1`;

/**
 * The objects of other schemas (pg_describe_object's words: `view tb.v`, `column k of table tb.k`,
 * `constraint orders_n_fkey on table tb.orders`) that dropping `targets` with CASCADE would drop or
 * change. Objects in no schema at all (a publication's membership, an event trigger) are not counted:
 * they are the database's, and pg_restore --clean treats them alike for the tables it drops itself.
 */
export async function dependentsOutsideSchema(
  knex: Knex,
  schema: string,
  targets: readonly DropTarget[],
): Promise<string[]> {
  if (targets.length === 0) return [];
  // Array literals: knex would expand a JS array into a list of bindings.
  const classes = `{${targets.map((t) => t.classid).join(',')}}`;
  const oids = `{${targets.map((t) => t.objid).join(',')}}`;
  const res = await knex.raw(DEPENDENTS_SQL, [classes, oids, schema]);
  return (res.rows as { what: string }[]).map((r) => r.what);
}
