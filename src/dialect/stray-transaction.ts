import { TenantError } from '../core/errors.js';
import type { TenantSession } from './session-types.js';

/**
 * After user code ran on the tenant's connection (a custom optimization, a hook, the smoke checks): a
 * transaction it began and never ended is rolled back and the step fails naming it. Left open, every later
 * step ran inside it — the post-upgrade backup failed for a reason that named neither, and checks read
 * its uncommitted rows.
 */
export async function failOnStrayTransaction(session: TenantSession, what: string): Promise<void> {
  if (!(await session.endStrayTransaction?.())) return;
  throw new TenantError(
    'TRANSACTION_LEFT_OPEN',
    `${what} left a transaction open on the tenant's connection (begun, never committed): it was rolled back, so what was done in it is undone`,
  );
}
