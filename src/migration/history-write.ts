import type { Knex } from 'knex';
import type { TenantSession } from '../dialect/types.js';
import { CHECKSUM_TABLE, type ChecksumSource, LOCK_TABLE, MIGRATIONS_TABLE, table } from './history.js';

/**
 * Records an applied migration: its knex_migrations row and its checksum. With `holdKnexLock` (the last
 * step of a transactional migration) knex's lock row is held first, and nothing is recorded — false —
 * when it is set. Holding it at the end is as safe as at the start: a `knex migrate` that set the row
 * meanwhile makes this transaction roll back, and one that tries after waits for the commit, then finds
 * the migration recorded. The dialect may do it all in one round trip (`TenantSession.recordMigration`).
 */
export async function recordApplied(
  session: Pick<TenantSession, 'recordMigration'>,
  on: Knex | Knex.Transaction,
  schema: string | undefined,
  entry: { name: string; batch: number; checksum: string; staleChecksum?: boolean; holdKnexLock: boolean },
): Promise<boolean> {
  if (session.recordMigration) {
    const tables = { history: MIGRATIONS_TABLE, lock: LOCK_TABLE, checksums: CHECKSUM_TABLE };
    return session.recordMigration(on, { tables, ...(schema ? { schema } : {}), ...entry });
  }
  if (entry.holdKnexLock && !(await holdKnexLockRow(on, schema))) return false;
  await table(on, MIGRATIONS_TABLE, schema).insert({
    name: entry.name,
    batch: entry.batch,
    migration_time: new Date(),
  });
  // A checksum row without its history row is left by `knex migrate:rollback`; only then replace it.
  if (entry.staleChecksum) await writeChecksum(on, schema, entry.name, entry.checksum, 'applied');
  else
    await table(on, CHECKSUM_TABLE, schema).insert({
      name: entry.name,
      checksum: entry.checksum,
      source: 'applied',
      recorded_at: new Date(),
    });
  return true;
}

export async function writeChecksum(
  trx: Knex | Knex.Transaction,
  schema: string | undefined,
  name: string,
  checksum: string,
  source: ChecksumSource,
): Promise<void> {
  // delete + insert rather than an upsert: the same two statements work on every dialect.
  await table(trx, CHECKSUM_TABLE, schema).where({ name }).del();
  await table(trx, CHECKSUM_TABLE, schema).insert({ name, checksum, source, recorded_at: new Date() });
}

export async function removeApplied(
  trx: Knex | Knex.Transaction,
  schema: string | undefined,
  name: string,
): Promise<void> {
  await table(trx, MIGRATIONS_TABLE, schema).where({ name }).del();
  await table(trx, CHECKSUM_TABLE, schema).where({ name }).del();
}

/**
 * Holds knex's lock row for the rest of a transaction (SELECT … FOR UPDATE; SQL Server UPDLOCK), so a
 * `knex migrate` started meanwhile waits on it exactly as it would behind another knex. dbfleet never
 * writes `is_locked`: its real lock is the session lock, which cannot outlive a crash. Resolves false
 * when the row says a knex CLI run holds (or a crashed one left) the lock.
 */
export async function holdKnexLockRow(trx: Knex | Knex.Transaction, schema?: string): Promise<boolean> {
  const rows: { is_locked: number | string | null }[] = await table(trx, LOCK_TABLE, schema)
    .select('is_locked')
    .forUpdate();
  return rows.every((r) => Number(r.is_locked ?? 0) === 0);
}
