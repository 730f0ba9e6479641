import { intLiteral, quoteString } from './quote.js';

/**
 * The tenant's migration lock: an application lock owned by the session, so it is released when the
 * connection ends, crash included — never a row that outlives its runner. Application locks live in the
 * current database, which is the tenant's own (or the shared database of schema tenants, hence the schema
 * in the resource name).
 */

/** sp_getapplock's @Resource is nvarchar(255). */
const MAX_RESOURCE_LENGTH = 255;

/** The migration lock's resource as dbfleet spells it (for messages): `dbfleet:<schema or database>`. */
export function appLockResource(database: string, schema?: string): string {
  const resource = `dbfleet:${schema ?? database}`;
  if (resource.length > MAX_RESOURCE_LENGTH)
    throw new Error(`lock resource name longer than ${MAX_RESOURCE_LENGTH} characters`);
  return resource;
}

/**
 * The migration lock's resource as the server spells the name: sp_getapplock compares @Resource in binary,
 * while database and schema names compare by collation — case-insensitively, usually — so two runners whose
 * inventories spell the database differently must still ask for the same lock. The same string as
 * `appLockResource` when the inventory spells the name as the server does, so runners of earlier versions
 * still exclude newer ones. A schema not created yet (read-only sessions) keeps the inventory's spelling.
 */
export function migrationLockResourceSql(schema?: string): string {
  if (schema === undefined) return "N'dbfleet:' + DB_NAME()";
  const name = quoteString(schema);
  return `N'dbfleet:' + COALESCE(SCHEMA_NAME(SCHEMA_ID(${name})), ${name})`;
}

/** A lock resource: a name, or `{ sql }`, an nvarchar expression the server works out. */
export type LockResource = string | { sql: string };

/**
 * `waitMs`: how long sp_getapplock waits on the server (0: not at all; Infinity: until it gets the lock).
 * Returns sp_getapplock's status as `result` (the procedure reports through its return code, not a row)
 * and, for a resource the server works out, that resource as `resource`: what to release later.
 */
export function getAppLockSql(resource: LockResource, waitMs: number): string {
  // An endless wait (Infinity) is sp_getapplock's -1.
  const timeout = Number.isFinite(waitMs) ? intLiteral(Math.max(0, Math.floor(waitMs)), 'lock wait') : '-1';
  const call = (name: string) =>
    `EXEC @result = sp_getapplock @Resource = ${name}, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = ${timeout};`;
  if (typeof resource === 'string')
    return ['DECLARE @result int;', call(quoteString(resource)), 'SELECT @result AS result;'].join('\n');
  return [
    `DECLARE @resource nvarchar(255) = ${resource.sql}, @result int;`,
    call('@resource'),
    'SELECT @result AS result, @resource AS resource;',
  ].join('\n');
}

/**
 * Gives back the lock if this session holds it: a cancelled sp_getapplock may have been granted just before
 * the attention reached the server, and the client cannot tell.
 */
export function releaseIfHeldSql(resourceSql: string): string {
  return [
    `DECLARE @resource nvarchar(255) = ${resourceSql};`,
    "IF APPLOCK_MODE('public', @resource, 'Session') <> 'NoLock'",
    "  EXEC sp_releaseapplock @Resource = @resource, @LockOwner = 'Session';",
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
