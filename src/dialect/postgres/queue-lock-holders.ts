import type { ControlConnection } from './queue-control.js';

/**
 * Who holds which two-key advisory lock, as `"k1:k2"` → the holder's application_name (a worker names
 * itself there). Read from pg_locks, so checking a lock never takes it.
 */
export async function lockHolders(
  control: ControlConnection,
  keys: readonly (readonly [number, number])[],
): Promise<Map<string, string>> {
  const firstKeys = [...new Set(keys.map((k) => k[0]))];
  const rows = await control.query<{ k1: string; k2: string; holder: string }>(
    `select l.classid::bigint as k1, l.objid::bigint as k2, a.application_name as holder
       from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.objsubid = 2 and l.granted
        and l.database = (select oid from pg_database where datname = current_database())
        and l.classid::bigint = any($1::bigint[])`,
    [firstKeys],
  );
  return new Map(rows.map((r) => [`${r.k1}:${r.k2}`, r.holder || 'a worker']));
}
