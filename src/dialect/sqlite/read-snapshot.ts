import { setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { TenantError } from '../../core/errors.js';

const RETRY_MS = 50;

/**
 * Opens a read transaction on `db` and pins its snapshot (the first read takes the shared lock), waiting
 * for an application's write lock up to `lockTimeoutMs` — by trying again between async sleeps, not with
 * SQLite's busy handler, which sleeps on the event loop: every other tenant of the run, the live view and
 * Ctrl-C stood still while one tenant's application committed a big transaction. Once the snapshot is held
 * nothing else in the transaction waits (rollback mode: the shared lock is kept; WAL: readers never wait).
 */
export async function beginReadSnapshot(
  db: Database.Database,
  options: { lockTimeoutMs: number; signal: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + Math.max(0, options.lockTimeoutMs);
  const busy = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma('busy_timeout = 0');
  try {
    for (;;) {
      db.exec('BEGIN');
      try {
        db.prepare('select count(*) from sqlite_master').get();
        return;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        const code = (err as { code?: string }).code;
        if ((code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') || Date.now() >= deadline) throw err;
      }
      await sleep(RETRY_MS, undefined, { signal: options.signal }).catch(() => {
        throw new TenantError('INTERRUPTED', 'stopped: the run was interrupted');
      });
    }
  } finally {
    db.pragma(`busy_timeout = ${busy}`);
  }
}
