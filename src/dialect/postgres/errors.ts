import type { ErrorInfo } from '../../core/errors.js';

interface PgLikeError {
  code?: string;
  message?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
]);

/** undefined_table or invalid_schema_name: a relation (or its schema) named in the query does not exist. */
export function isMissingRelation(err: unknown): boolean {
  const code = (err as PgLikeError)?.code;
  return code === '42P01' || code === '3F000';
}

/**
 * A pooler in transaction mode hands each transaction a server connection of its own: a session-level
 * lock or setting outlives dbfleet's use of it or goes to another client. knex's own migrator works there
 * (its lock is a table row), dbfleet's session does not — so the fix is the one migration tools ask for
 * (Prisma's `directUrl`): a direct connection for the tool, the pooler for the application.
 */
export function pooledConnection(cause: string): ErrorInfo {
  return {
    code: 'POOLED_CONNECTION',
    message: `${cause} — the connection goes through a connection pooler (PgBouncer), which refuses or drops the settings a dbfleet session starts with (its lock and statement timeouts) and cannot keep its session-level lock; point this tenant's connection at the PostgreSQL server itself (its own port, usually 5432), and leave the pooler to the application. Nothing was changed`,
  };
}

/** SQLSTATEs a DBA acts on differently get their own code and an explanation. */
export function classifyPostgresError(err: unknown): ErrorInfo | undefined {
  const e = err as PgLikeError;
  const message = e?.message ?? String(err);
  switch (e?.code) {
    case '55P03':
      return {
        code: 'LOCK_TIMEOUT',
        message: `could not get a lock within lock_timeout — another session holds a conflicting lock (a long-running reader or writer): ${message}`,
      };
    case '57014':
      return { code: 'STATEMENT_TIMEOUT', message: `statement cancelled by statement_timeout: ${message}` };
    case '28P01':
    case '28000':
      return { code: 'AUTH_FAILED', message: `authentication failed: ${message}` };
    case '3D000':
      return { code: 'DATABASE_NOT_FOUND', message };
    case '3F000':
      // CREATE with no schema named and none current: the search_path names no schema that exists.
      if (/no schema has been selected/i.test(message))
        return {
          code: 'FAILED',
          message: `${message} — the connection's search_path names no schema that exists in this database (the URL's options=-c search_path=…, the role's or the database's setting, or knex's searchPath): create that schema or correct the search_path`,
        };
      break;
    case '40P01':
      return { code: 'DEADLOCK', message };
    case '57P01':
    case '57P02':
      return { code: 'CONNECTION_LOST', message: `the server terminated the connection: ${message}` };
    case '53300':
      // The server's max_connections, or the role's or the database's CONNECTION LIMIT: the fleet
      // run queues the tenant and lowers its per-host cap (src/fleet/connection-limit.ts).
      return {
        code: 'TOO_MANY_CONNECTIONS',
        message: `the server refused a connection: its, the role's or the database's connection limit is reached: ${message}`,
      };
    case '57P03':
      return {
        code: 'SERVER_UNAVAILABLE',
        message: `the server does not accept connections now (starting up, shutting down or in recovery): ${message}`,
      };
    case '08P01':
      // PgBouncer's answer to the start-up options that carry the session's timeouts.
      if (/unsupported startup parameter/i.test(message)) return pooledConnection(message);
      break;
    // dbfleet's own client-side verdicts (stall-watchdog.ts): their messages name host, port and phase.
    case 'CONNECTION_STALLED':
    case 'CONNECT_TIMEOUT':
      return { code: e.code, message };
  }
  if (e?.code && NETWORK_CODES.has(e.code))
    return { code: 'UNREACHABLE', message: `cannot reach the server: ${message}` };
  if (/Connection terminated|connection is closed/i.test(message))
    return { code: 'CONNECTION_LOST', message };
  return undefined;
}
