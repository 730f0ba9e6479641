import type { Knex } from 'knex';

/**
 * pg_restore gives every object it recreates back to its owner (`ALTER TABLE … OWNER TO hpgs_owner`).
 * Unless the tenant's user is a superuser, that takes membership in the owning role, and the owning role
 * must have CREATE on the object's schema. A tenant whose user cannot — an application role next to
 * objects a migration role owns — got a restore that failed inside pg_restore, after the objects created
 * since the backup had already been dropped; a deep verify never sees it, since its scratch copy is
 * restored without owners. The listing's owners are checked before anything changes.
 */

/** Kinds pg_dump gives an `OWNER TO`, as pg_restore --list names them; the longest name first. */
const OWNED = ['MATERIALIZED VIEW', 'FOREIGN TABLE', 'TABLE', 'VIEW', 'SEQUENCE', 'FUNCTION', 'PROCEDURE']
  .concat(['AGGREGATE', 'DOMAIN', 'TYPE'])
  .map((desc) => `${desc} `);

/** `[owner, schema]` of every owned entry (the owner is the last word, the schema the word after the kind). */
function ownedEntries(list: string): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const line of list.split('\n')) {
    const m = /^\d+; [1-9]\d* \d+ (.*)$/.exec(line);
    const desc = m && OWNED.find((d) => m[1]!.startsWith(d));
    if (!m || !desc) continue;
    const rest = m[1]!.slice(desc.length);
    const owner = rest.slice(rest.lastIndexOf(' ') + 1);
    const schema = rest.slice(0, rest.indexOf(' '));
    if (owner && schema) seen.set(`${owner}\n${schema}`, [owner, schema]);
  }
  return [...seen.values()];
}

/**
 * What keeps pg_restore from setting the listing's owners, one line per role: `hpgs_owner (not a member)`,
 * `hpgs_owner (no CREATE on schema public)`. Names the listing printed otherwise than the catalog (one
 * holding a space) match no role or schema and are not counted: pg_restore then says what it could not do.
 */
export async function ownersNotSettable(knex: Knex, list: string): Promise<string[]> {
  const entries = ownedEntries(list);
  if (entries.length === 0) return [];
  const res = await knex.raw(
    `select r.rolname || case when not pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER') then ' (not a member)'
         else ' (no CREATE on schema ' || n.nspname || ')' end as problem
     from pg_catalog.json_array_elements(?::json) e
     join pg_catalog.pg_roles r on r.rolname = e ->> 0
     join pg_catalog.pg_namespace n on n.nspname = e ->> 1
     where not (select rolsuper from pg_catalog.pg_roles where rolname = current_user)
       and r.rolname <> current_user
       and (not pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER')
         or not pg_catalog.has_schema_privilege(r.oid, n.oid, 'CREATE'))
     group by 1 order by 1`,
    [JSON.stringify(entries)],
  );
  return (res.rows as { problem: string }[]).map((r) => r.problem);
}
