import type { ErrorCode, ErrorInfo } from '../../core/errors.js';

/**
 * The shapes errors arrive in: tedious `RequestError` / `ConnectionError` (`code`, `number`, `lineNumber`),
 * node-mssql wrappers (`originalError`, `precedingErrors`), `AggregateError` when one batch raised several
 * server errors (BACKUP: 3201 then 3013), and dbfleet's own wrappers (`cause`).
 */
interface MssqlLikeError {
  code?: unknown;
  number?: unknown;
  message?: unknown;
  lineNumber?: unknown;
  originalError?: unknown;
  precedingErrors?: unknown;
  errors?: unknown;
  cause?: unknown;
  [DRIVER_MESSAGE]?: unknown;
}

/**
 * The driver's own message of a failed query, kept by knex-client.ts before knex puts the query's SQL in
 * front of it (`<sql> - <message>`): classification reads this, so words in the SQL never count.
 */
export const DRIVER_MESSAGE = Symbol('dbfleet.mssql.driverMessage');

/** dbfleet's code for a connection the session refused to replace (see session.ts). */
export const RECONNECT_REFUSED = 'EDBFLEET_RECONNECT_REFUSED';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const AUTH_NUMBERS = new Set([18452, 18456, 18486, 18487, 18488]);

/** The error and everything it wraps, outermost first. */
function unwrap(err: unknown): MssqlLikeError[] {
  const out: MssqlLikeError[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 50) {
    const next = queue.shift();
    if (next === null || typeof next !== 'object' || seen.has(next)) continue;
    seen.add(next);
    const e = next as MssqlLikeError;
    out.push(e);
    queue.push(e.cause, e.originalError);
    if (Array.isArray(e.precedingErrors)) queue.push(...e.precedingErrors);
    if (Array.isArray(e.errors)) queue.push(...e.errors);
  }
  return out;
}

/** Whether the server raised message `number` anywhere in the error's chain. */
export function raisedServerError(err: unknown, number: number): boolean {
  return unwrap(err).some((e) => e.number === number);
}

const text = (e: MssqlLikeError) => (typeof e.message === 'string' ? e.message : '');
/** What the driver or the server said, without the SQL knex prefixes a failed query's message with. */
const ownText = (e: MssqlLikeError) => (typeof e[DRIVER_MESSAGE] === 'string' ? e[DRIVER_MESSAGE] : text(e));
const codeOf = (e: MssqlLikeError) => (typeof e.code === 'string' ? e.code : undefined);
const numberOf = (e: MssqlLikeError) => (typeof e.number === 'number' ? e.number : undefined);

/**
 * One readable line for the report: the outer message, plus every server message it wraps (an
 * AggregateError's own message is empty, and knex leaves only "<sql> - " in front of it).
 */
export function describeMssqlError(err: unknown): string {
  const chain = unwrap(err);
  if (chain.length === 0) return String(err);
  const outer = text(chain[0]!).trim().replace(/\s+-$/, '');
  const parts = outer === '' ? [] : [outer];
  for (const e of chain.slice(1)) {
    const message = text(e).trim();
    if (message === '' || parts.some((p) => p.includes(message))) continue;
    const number = numberOf(e);
    parts.push(number === undefined ? message : `Msg ${number}: ${message}`);
  }
  return parts.join(' | ') || String(err);
}

function classifyChain(chain: MssqlLikeError[]): { code: ErrorCode; explanation: string } | undefined {
  const has = (test: (e: MssqlLikeError) => boolean) => chain.some(test);
  const hasNumber = (...numbers: number[]) => has((e) => numbers.includes(numberOf(e) ?? Number.NaN));
  const hasCode = (...codes: string[]) => has((e) => codes.includes(codeOf(e) ?? ''));
  const said = (pattern: RegExp) => has((e) => pattern.test(ownText(e)));
  // At login (tedious' ELOGIN): the server's messages then are about the login and its database.
  const atLogin = hasCode('ELOGIN');

  const requestTimedOut =
    said(/Timeout: Request failed to complete/i) ||
    has((e) => codeOf(e) === 'ETIMEOUT' && !said(/Failed to connect/i));
  // tedious sends an attention on timeout and waits cancelTimeout for the server to acknowledge it; when no
  // acknowledgement comes it drops the connection, and nobody knows how far the batch got.
  if (said(/Failed to cancel request/i) || (requestTimedOut && hasCode('ECANCEL'))) {
    return {
      code: 'STATE_UNKNOWN',
      explanation:
        "a request timed out and cancelling it failed, so the connection was dropped mid-statement: this tenant's state is unknown and needs inspection (open transactions, half-built indexes, the migration history) before anything is retried; it is never safe to retry blindly",
    };
  }
  // Only at login is it the tenant's own database: later, 911 comes from a migration's USE [other] or a
  // three-part name, a failure of that migration.
  if (atLogin && (hasNumber(4060, 911) || said(/Cannot open database/i))) {
    return {
      code: 'DATABASE_NOT_FOUND',
      explanation: 'the database does not exist or this login may not open it',
    };
  }
  // 17809: the server's user connections are used up; 10928/10936: Azure SQL's session or request limit of
  // the database or elastic pool. The fleet run queues the tenant (src/fleet/connection-limit.ts).
  if (hasNumber(17809, 10928, 10936)) {
    return {
      code: 'TOO_MANY_CONNECTIONS',
      explanation: "the server's (or the Azure SQL database's) connection or session limit is reached",
    };
  }
  // 18401: the server is finishing an update (script upgrade mode) and lets only administrators in for a
  // few minutes — not a wrong login: the fleet run retries it (src/fleet/connection-limit.ts).
  if (hasNumber(18401) || (atLogin && said(/script upgrade mode/i))) {
    return {
      code: 'SERVER_UNAVAILABLE',
      explanation:
        'the server is in script upgrade mode after an update and admits only administrators until it finishes',
    };
  }
  if (hasNumber(...AUTH_NUMBERS) || atLogin) {
    return { code: 'AUTH_FAILED', explanation: 'login failed (the server log names the exact reason)' };
  }
  if (hasNumber(1205)) {
    return { code: 'DEADLOCK', explanation: 'chosen as a deadlock victim; the transaction was rolled back' };
  }
  if (hasNumber(1222)) {
    return {
      code: 'LOCK_TIMEOUT',
      explanation:
        'could not get a lock within LOCK_TIMEOUT — another session holds a conflicting lock (a long-running reader or writer); with XACT_ABORT ON the transaction was rolled back',
    };
  }
  if (requestTimedOut) {
    return {
      code: 'TIMEOUT',
      explanation:
        'the request exceeded the request timeout and was cancelled; the server acknowledged the cancel, so with XACT_ABORT ON an open transaction was rolled back',
    };
  }
  if (
    has((e) => TLS_CODES.has(codeOf(e) ?? '')) ||
    said(/self[- ]signed certificate|certificate has expired/i)
  ) {
    return {
      code: 'TLS_FAILED',
      explanation:
        "the server's TLS certificate is not trusted: install its CA, or set trustServerCertificate=true for a development server",
    };
  }
  if (
    hasCode('EINSTLOOKUP') ||
    has((e) => NETWORK_CODES.has(codeOf(e) ?? '')) ||
    said(/Failed to connect/i)
  ) {
    return { code: 'UNREACHABLE', explanation: 'cannot reach the server' };
  }
  if (
    hasCode('ESOCKET', 'ECLOSE', 'ECONNRESET', RECONNECT_REFUSED) ||
    said(/Connection lost|Connection closed/i)
  ) {
    return {
      code: 'CONNECTION_LOST',
      explanation:
        'the connection dropped; an open transaction was rolled back by the server, but a statement running outside one may or may not have completed',
    };
  }
  if (hasNumber(226, 574, 3021)) {
    return {
      code: 'NOT_TRANSACTIONAL',
      explanation:
        'this statement cannot run inside a transaction; run the migration without one (config = { transaction: false } or the SQL no-transaction marker)',
    };
  }
  if (hasNumber(3201)) {
    return {
      code: 'BACKUP_DEVICE',
      explanation:
        'SQL Server cannot open the backup file: the path is on the SQL Server host, and its service account needs access to the directory',
    };
  }
  if (hasCode('ECANCEL')) return { code: 'CANCELLED', explanation: 'the request was cancelled' };
  return undefined;
}

/** Maps tedious / node-mssql errors to a stable code and an explanation a DBA can act on. */
export function classifyMssqlError(err: unknown): ErrorInfo | undefined {
  const chain = unwrap(err);
  if (chain.length === 0) return undefined;
  const classified = classifyChain(chain);
  if (classified)
    return { code: classified.code, message: `${classified.explanation}: ${describeMssqlError(err)}` };
  // An unclassified server error still deserves its messages (an AggregateError's own message is empty).
  if (chain.some((e) => numberOf(e) !== undefined))
    return { code: 'FAILED', message: describeMssqlError(err) };
  return undefined;
}
