import type { Knex } from 'knex';
import pg from 'pg';

/**
 * An in-place restore drops and re-creates the tenant's objects inside the live database, whose
 * `ALTER DEFAULT PRIVILEGES` (pg_default_acl) apply to every CREATE. pg_dump records an object's
 * privileges only relative to the built-in default (a table whose relacl was NULL has no ACL entry at
 * all), so a default added after the table was made — `GRANT SELECT ON TABLES TO app` — gave the restored
 * table a grant the backup never had, and nothing revoked it. A restore into a fresh database does not do
 * this: the dump's DEFAULT ACL entries are applied last, after the objects exist.
 *
 * The same is done here, inside the restore's one transaction: before pg_restore's script, the database's
 * default privileges are reset to the built-in ones (the statements below), so CREATE grants nothing
 * beyond what PostgreSQL itself would; the archive's DEFAULT ACL entries (always in its last pass, written
 * relative to the built-in default) then give back the default privileges the backup recorded.
 *
 * The end state is the backup's default privileges, not the current ones: a restore puts the tenant back
 * as it was at backup time, as a restore into a fresh database would, and a migration being rolled back
 * may itself have run `ALTER DEFAULT PRIVILEGES`. What counts as the tenant's:
 * - a database tenant: every entry of the database (pg_dump dumps them all, global and per schema);
 * - a schema tenant: only the entries `IN SCHEMA` its schema (pg_dump --schema dumps exactly those).
 *   Global entries of the shared database (no `IN SCHEMA`) belong to every tenant and the backup does not
 *   hold them: they are left as they are — so the restoring user's own global defaults still apply to
 *   what the restore creates in the schema, as to anything it creates there.
 * Entries of roles the restoring user is not a member of cannot be changed by it and are left; they do
 * not apply to what the restore creates (that user creates everything, then gives objects to owners).
 */

/** pg_default_acl.defaclobjtype → the word ALTER DEFAULT PRIVILEGES takes. */
const KIND: Record<string, string> = {
  r: 'tables',
  S: 'sequences',
  f: 'functions',
  T: 'types',
  n: 'schemas',
  L: 'large objects',
};

/** What PUBLIC has by default (acldefault): functions' EXECUTE, types' USAGE; nothing on the others. */
const PUBLIC_BY_DEFAULT = new Set(['f', 'T']);

interface DefaultAclRow {
  role: string;
  /** null: a global entry (no IN SCHEMA). */
  schema: string | null;
  objtype: string;
  /** null: PUBLIC. */
  grantees: (string | null)[];
}

/**
 * The statements that reset the tenant's default privileges to the built-in ones (run in the restore's
 * transaction, before the script). A per-schema entry only adds to the global one: revoking everything
 * from its grantees removes it. A global entry replaces the built-in default: everything is revoked from
 * its grantees, then the owner's (and PUBLIC's) built-in privileges are granted back, which PostgreSQL
 * stores as no entry at all.
 */
export async function defaultPrivilegesReset(knex: Knex, schema: string | null): Promise<string[]> {
  const scope =
    schema === null
      ? ''
      : `and d.defaclnamespace = (select oid from pg_catalog.pg_namespace where nspname = ${pg.escapeLiteral(schema)})`;
  const res = await knex.raw(
    `select r.rolname as role, n.nspname as schema, d.defaclobjtype as objtype,
       array(select distinct case when a.grantee = 0 then null else g.rolname::text end
         from pg_catalog.aclexplode(d.defaclacl) a left join pg_catalog.pg_roles g on g.oid = a.grantee) as grantees
     from pg_catalog.pg_default_acl d
     join pg_catalog.pg_roles r on r.oid = d.defaclrole
     left join pg_catalog.pg_namespace n on n.oid = d.defaclnamespace
     where pg_catalog.pg_has_role(current_user, d.defaclrole, 'MEMBER') ${scope}
     order by d.oid`,
  );
  return (res.rows as DefaultAclRow[]).flatMap(resetStatements);
}

function resetStatements(row: DefaultAclRow): string[] {
  const kind = KIND[row.objtype];
  // A kind this version does not know: left as it is (nothing to say it is the tenant's concern).
  if (kind === undefined) return [];
  const target = `alter default privileges for role ${pg.escapeIdentifier(row.role)}${
    row.schema === null ? '' : ` in schema ${pg.escapeIdentifier(row.schema)}`
  }`;
  const statements = row.grantees.map(
    (g) => `${target} revoke all on ${kind} from ${g === null ? 'public' : pg.escapeIdentifier(g)}`,
  );
  if (row.schema === null) {
    statements.push(`${target} grant all on ${kind} to ${pg.escapeIdentifier(row.role)}`);
    if (PUBLIC_BY_DEFAULT.has(row.objtype)) statements.push(`${target} grant all on ${kind} to public`);
  }
  return statements;
}
