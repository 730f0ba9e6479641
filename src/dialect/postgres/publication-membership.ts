import type { Knex } from 'knex';
import pg from 'pg';
import { errorMessage, TenantError } from '../../core/errors.js';

/**
 * A schema tenant's tables in publications of its shared database (logical replication, CDC). A
 * publication is the database's, not the schema's, so `pg_dump --schema` dumps no membership of it, and
 * pg_restore --clean, which drops and recreates the tables, took them out of every publication silently:
 * the tenant's change stream stopped after a restore or an upgrade's rollback. The memberships are read
 * before pg_restore and given back, as they were, to the tables it recreated.
 */
export interface PublicationMembership {
  /** `publication p: schema.table` for the user. */
  what: string;
  table: string;
  /** `alter publication … add table only …`, with its column list and row filter (PostgreSQL 15+). */
  statement: string;
}

function membershipSql(schema: string, withFilters: boolean): string {
  const columns = withFilters
    ? `case when pr.prattrs is null then '' else ' (' || (select pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' order by a.attnum)
         from pg_catalog.pg_attribute a where a.attrelid = pr.prrelid and a.attnum = any(pr.prattrs)) || ')' end`
    : `''`;
  const filter = withFilters
    ? `case when pr.prqual is null then '' else ' where (' || pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) || ')' end`
    : `''`;
  return `select pg_catalog.format('publication %s: %s.%s', p.pubname, n.nspname, c.relname) as what, c.relname as "table",
      pg_catalog.format('alter publication %I add table only %I.%I', p.pubname, n.nspname, c.relname) || ${columns} || ${filter} as statement
    from pg_catalog.pg_publication_rel pr join pg_catalog.pg_publication p on p.oid = pr.prpubid
      join pg_catalog.pg_class c on c.oid = pr.prrelid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = ${pg.escapeLiteral(schema)} order by 1`;
}

/** The memberships of `schema`'s tables, read with an empty search_path (row filters fully qualified). */
export async function publicationMemberships(knex: Knex, schema: string): Promise<PublicationMembership[]> {
  return knex.transaction(async (trx) => {
    const version = await trx.raw("select current_setting('server_version_num')::int as v");
    await trx.raw("select pg_catalog.set_config('search_path', '', true)");
    const res = await trx.raw(membershipSql(schema, Number(version.rows[0].v) >= 150000));
    return res.rows as PublicationMembership[];
  });
}

/**
 * Adds back every membership whose table exists again and is not in its publication (a table the
 * restore dropped, created after the backup, stays out). One transaction: all or none.
 */
export async function restorePublicationMemberships(
  knex: Knex,
  schema: string,
  before: readonly PublicationMembership[],
): Promise<void> {
  if (before.length === 0) return;
  const now = new Set((await publicationMemberships(knex, schema)).map((m) => m.what));
  const missing = before.filter((m) => !now.has(m.what));
  try {
    await knex.transaction(async (trx) => {
      await trx.raw("select pg_catalog.set_config('search_path', '', true)");
      for (const m of missing) {
        const exists = await trx.raw('select pg_catalog.to_regclass(?) as t', [
          `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(m.table)}`,
        ]);
        if (exists.rows[0].t !== null) await trx.raw(m.statement.replace(/\?/g, '\\?'));
      }
    });
  } catch (err) {
    throw new TenantError(
      'RESTORE_FAILED',
      `the tenant was restored, but its tables could not be put back into their publications (${missing.map((m) => m.what).join(', ')}): ${errorMessage(err)}`,
    );
  }
}
