import { TenantError } from '../core/errors.js';
import type { TenantSession } from './types.js';

/**
 * Takes the tenant's session lock (waiting up to `waitMs`) or reports the tenant skipped — LOCKED, naming
 * the holder where the dialect can tell, or INTERRUPTED when the run was stopped while waiting — and
 * always releases it. Every command that changes a tenant (migrate, rollback, optimize, upgrade) takes it.
 */
export async function withTenantLock<T>(
  session: TenantSession,
  wait: number | { waitMs: number; signal?: AbortSignal },
  fn: () => Promise<T>,
): Promise<T> {
  const { waitMs, signal } = typeof wait === 'number' ? { waitMs: wait, signal: undefined } : wait;
  if (!(await session.tryLock(waitMs, signal))) {
    if (signal?.aborted)
      throw new TenantError('INTERRUPTED', "interrupted while waiting for the tenant's migration lock", {
        skipped: true,
      });
    // Who holds it, where the dialect can tell (asked only now: a free lock costs nothing extra).
    const holder = await session.describeLockHolder().catch(() => undefined);
    throw new TenantError(
      'LOCKED',
      holder
        ? `the tenant's migration lock is ${holder}`
        : "the tenant's migration lock is held by another session (another dbfleet runner; on SQLite also an application connection writing)",
      { skipped: true },
    );
  }
  try {
    return await fn();
  } finally {
    await session.unlock().catch(() => {});
  }
}
