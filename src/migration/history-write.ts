import type { Knex } from 'knex';
import type { TenantSession } from '../dialect/types.js';
import { type ChecksumSource, type HistoryLocation, table } from './history.js';

/**
 * Records an applied migration: its history row and its checksum. With `holdKnexLock` (the last step
 * of a transactional migration) knex's lock row is held first, and nothing is recorded — false — when
 * it is set. Holding it at the end is as safe as at the start: a `knex migrate` that set the row
 * meanwhile makes this transaction roll back, and one that tries after waits for the commit, then finds
 * the migration recorded. The dialect may do it all in one round trip (`TenantSession.recordMigration`).
 */
export async function recordApplied(
  session: Pick<TenantSession, 'recordMigration'>,
  on: Knex | Knex.Transaction,
  where: HistoryLocation,
  entry: { name: string; batch: number; checksum: string; staleChecksum?: boolean; holdKnexLock: boolean },
): Promise<boolean> {
  const { schema } = where;
  if (session.recordMigration) {
    const tables = { history: where.history, lock: where.lock, checksums: where.checksums };
    return session.recordMigration(on, { tables, ...(schema ? { schema } : {}), ...entry });
  }
  if (entry.holdKnexLock && !(await holdKnexLockRow(on, where))) return false;
  await table(on, where.history, schema).insert({
    name: entry.name,
    batch: entry.batch,
    migration_time: new Date(),
  });
  // A checksum row without its history row is left by `knex migrate:rollback`; only then replace it.
  if (entry.staleChecksum) await writeChecksum(on, where, entry.name, entry.checksum, 'applied');
  else
    await table(on, where.checksums, schema).insert({
      name: entry.name,
      checksum: entry.checksum,
      source: 'applied',
      recorded_at: new Date(),
    });
  return true;
}

export async function writeChecksum(
  trx: Knex | Knex.Transaction,
  where: HistoryLocation,
  name: string,
  checksum: string,
  source: ChecksumSource,
): Promise<void> {
  // delete + insert rather than an upsert: the same two statements work on every dialect.
  await table(trx, where.checksums, where.schema).where({ name }).del();
  await table(trx, where.checksums, where.schema).insert({ name, checksum, source, recorded_at: new Date() });
}

export async function removeApplied(
  trx: Knex | Knex.Transaction,
  where: HistoryLocation,
  name: string,
): Promise<void> {
  await table(trx, where.history, where.schema).where({ name }).del();
  await table(trx, where.checksums, where.schema).where({ name }).del();
}

/**
 * Holds knex's lock row for the rest of a transaction (SELECT … FOR UPDATE; SQL Server UPDLOCK), so a
 * `knex migrate` started meanwhile waits on it exactly as it would behind another knex. dbfleet never
 * writes `is_locked`: its real lock is the session lock, which cannot outlive a crash. Resolves false
 * when the row says a knex CLI run holds (or a crashed one left) the lock.
 */
export async function holdKnexLockRow(
  trx: Knex | Knex.Transaction,
  where: HistoryLocation,
): Promise<boolean> {
  const rows: { is_locked: number | string | null }[] = await table(trx, where.lock, where.schema)
    .select('is_locked')
    .forUpdate();
  return rows.every((r) => Number(r.is_locked ?? 0) === 0);
}
