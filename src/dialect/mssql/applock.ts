import { intLiteral, quoteString } from './quote.js';

/**
 * The tenant's migration lock: an application lock owned by the session, so it is released when the
 * connection ends, crash included — never a row that outlives its runner. Application locks live in the
 * current database, which is the tenant's own (or the shared database of schema tenants, hence the schema
 * in the resource name).
 */

/** sp_getapplock's @Resource is nvarchar(255). */
const MAX_RESOURCE_LENGTH = 255;

export function appLockResource(database: string, schema?: string): string {
  const resource = `dbfleet:${schema ?? database}`;
  if (resource.length > MAX_RESOURCE_LENGTH)
    throw new Error(`lock resource name longer than ${MAX_RESOURCE_LENGTH} characters`);
  return resource;
}

/** Returns sp_getapplock's status as `result`: the procedure reports through its return code, not a row. */
export function getAppLockSql(resource: string, waitMs: number): string {
  const timeout = intLiteral(Math.max(0, Math.floor(waitMs)), 'lock wait');
  return [
    'DECLARE @result int;',
    `EXEC @result = sp_getapplock @Resource = ${quoteString(resource)}, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = ${timeout};`,
    'SELECT @result AS result;',
  ].join('\n');
}

export function releaseAppLockSql(resource: string): string {
  return [
    'DECLARE @result int;',
    `EXEC @result = sp_releaseapplock @Resource = ${quoteString(resource)}, @LockOwner = 'Session';`,
    'SELECT @result AS result;',
  ].join('\n');
}

/**
 * sp_getapplock: 0 granted, 1 granted after waiting, -1 timed out, -2 cancelled, -3 chosen as deadlock
 * victim, -999 parameter or other error. Only a timeout means "someone else holds it".
 */
export function interpretGetAppLock(result: unknown, resource: string): boolean {
  const code = Number(result);
  if (code >= 0) return true;
  if (code === -1) return false;
  const reason =
    code === -2
      ? 'the request was cancelled'
      : code === -3
        ? 'it was chosen as a deadlock victim'
        : 'a parameter or call error';
  throw new Error(`sp_getapplock for ${resource} failed with status ${String(result)}: ${reason}`);
}

export function interpretReleaseAppLock(result: unknown, resource: string): void {
  if (Number(result) !== 0) {
    throw new Error(
      `sp_releaseapplock for ${resource} failed with status ${String(result)} (the lock was not held)`,
    );
  }
}
