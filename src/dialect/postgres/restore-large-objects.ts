import type { Knex } from 'knex';
import type { LiveObject } from './restore-extras.js';

/**
 * Large objects created after the backup: `pg_restore --clean` unlinks and recreates those the archive
 * holds and leaves any other. A database may hold millions, so the live ones are not all read: the
 * archive's oids go to the server, which returns those it has beside them.
 */

/**
 * The large objects the listing holds, one `BLOB - <oid>` entry each (pg_dump up to 16); null for a
 * listing that groups them (pg_dump 17's `BLOB METADATA`), from which it cannot be told which.
 */
export function archivedLargeObjects(list: string): string[] | null {
  if (/^\d+; \d+ \d+ BLOB METADATA /m.test(list)) return null;
  const oids: string[] = [];
  for (const line of list.split('\n')) {
    const m = /^\d+; \d+ \d+ BLOB - (\d+) /.exec(line);
    if (m) oids.push(m[1]!);
  }
  return oids;
}

/** A database tenant's large objects the archive does not hold, as objects to drop first. */
export async function largeObjectsMissingFromToc(knex: Knex, list: string): Promise<LiveObject[]> {
  const archived = archivedLargeObjects(list);
  if (archived === null) return [];
  const res = await knex.raw(
    `select l.oid::int8::text as oid, 'pg_catalog.pg_largeobject'::pg_catalog.regclass::oid::int8::text as classid
     from pg_catalog.pg_largeobject_metadata l where l.oid <> all(?::oid[]) order by l.oid`,
    [`{${archived.join(',')}}`],
  );
  return (res.rows as { oid: string; classid: string }[]).map((r) => ({
    desc: 'BLOB',
    schema: '-',
    name: r.oid,
    key: `large object ${r.oid}`,
    drop: `select pg_catalog.lo_unlink(oid) from pg_catalog.pg_largeobject_metadata where oid = ${r.oid}`,
    order: 0,
    classid: r.classid,
    objid: r.oid,
  }));
}
