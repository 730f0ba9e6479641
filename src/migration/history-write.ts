import type { Knex } from 'knex';
import { holdKnexLockRowVia } from '../dialect/history-generic.js';
import type { TenantSession } from '../dialect/types.js';
import { type ChecksumSource, type HistoryLocation, table } from './history.js';

/**
 * Records an applied migration: its history row and its checksum. With `holdKnexLock` (the last step
 * of a transactional migration) knex's lock row is held first, and nothing is recorded — false — when
 * it is set. Holding it at the end is as safe as at the start: a `knex migrate` that set the row
 * meanwhile makes this transaction roll back, and one that tries after waits for the commit, then finds
 * the migration recorded. The session writes it (in one round trip on PostgreSQL).
 */
export function recordApplied(
  session: Pick<TenantSession, 'recordMigration'>,
  on: Knex | Knex.Transaction,
  where: HistoryLocation,
  entry: { name: string; batch: number; checksum: string; staleChecksum?: boolean; holdKnexLock: boolean },
): Promise<boolean> {
  const tables = { history: where.history, lock: where.lock, checksums: where.checksums };
  return session.recordMigration(on, { tables, ...(where.schema ? { schema: where.schema } : {}), ...entry });
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
 * Holds knex's lock row for the rest of a transaction, so a `knex migrate` started meanwhile waits on it
 * exactly as it would behind another knex. dbfleet never writes `is_locked`: its real lock is the session
 * lock, which cannot outlive a crash. Resolves false when the row says a knex CLI run holds (or a crashed
 * one left) the lock.
 */
export function holdKnexLockRow(trx: Knex | Knex.Transaction, where: HistoryLocation): Promise<boolean> {
  return holdKnexLockRowVia(trx, where.lock, where.schema);
}
