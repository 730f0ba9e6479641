import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyMssqlError, describeMssqlError, RECONNECT_REFUSED } from '../../src/dialect/mssql/errors.js';
import { mssqlAdapter } from '../../src/dialect/mssql/index.js';

/** Shaped like tedious' RequestError / ConnectionError. */
function tediousError(
  message: string,
  code: string,
  number?: number,
  extra: Record<string, unknown> = {},
): Error {
  return Object.assign(new Error(message), { code, ...(number === undefined ? {} : { number }), ...extra });
}

/** Shaped like node-mssql's wrapper around a tedious error. */
function mssqlWrapper(
  inner: Error & { code?: string; number?: number },
  extra: Record<string, unknown> = {},
): Error {
  return Object.assign(new Error(inner.message), {
    code: inner.code,
    number: inner.number,
    originalError: inner,
    ...extra,
  });
}

const codeOf = (err: unknown) => classifyMssqlError(err)?.code;

describe('SQL Server error classification', () => {
  test('login failed (18456) → AUTH_FAILED, bare or wrapped', () => {
    const login = tediousError("Login failed for user 'app'.", 'ELOGIN');
    assert.equal(codeOf(login), 'AUTH_FAILED');
    assert.equal(
      codeOf(mssqlWrapper(tediousError("Login failed for user 'app'.", 'EREQUEST', 18456))),
      'AUTH_FAILED',
    );
  });

  test('cannot open database (4060) → DATABASE_NOT_FOUND, even when the login error comes last', () => {
    const login = tediousError("Login failed for user 'app'.", 'ELOGIN', undefined, {
      precedingErrors: [
        Object.assign(new Error('Cannot open database "acme" requested by the login. The login failed.'), {
          number: 4060,
        }),
      ],
    });
    const info = classifyMssqlError(login);
    assert.equal(info?.code, 'DATABASE_NOT_FOUND');
    assert.match(info?.message ?? '', /Msg 4060: Cannot open database "acme"/);
    assert.equal(
      codeOf(tediousError("Database 'x' does not exist.", 'EREQUEST', 911)),
      'FAILED',
      'not at login',
    );
  });

  test('request timeout → TIMEOUT; connect timeout → UNREACHABLE', () => {
    assert.equal(
      codeOf(tediousError('Timeout: Request failed to complete in 15000ms', 'ETIMEOUT')),
      'TIMEOUT',
    );
    assert.equal(
      codeOf(mssqlWrapper(tediousError('Timeout: Request failed to complete in 100ms', 'ETIMEOUT'))),
      'TIMEOUT',
    );
    assert.equal(codeOf(tediousError('Failed to connect to db1:1433 in 15000ms', 'ETIMEOUT')), 'UNREACHABLE');
  });

  test('a timed-out request whose cancel failed → STATE_UNKNOWN, never safe to retry', () => {
    const cancelFailed = tediousError('Failed to cancel request in 5000ms', 'ETIMEOUT');
    const info = classifyMssqlError(cancelFailed);
    assert.equal(info?.code, 'STATE_UNKNOWN');
    assert.match(info?.message ?? '', /state is unknown and needs inspection/);
    assert.match(info?.message ?? '', /never safe to retry/);
    const wrapped = mssqlWrapper(tediousError('Canceled.', 'ECANCEL'), {
      precedingErrors: [tediousError('Timeout: Request failed to complete in 100ms', 'ETIMEOUT')],
    });
    assert.equal(codeOf(wrapped), 'STATE_UNKNOWN');
  });

  test('a cancel without a timeout is CANCELLED', () => {
    assert.equal(codeOf(tediousError('Canceled.', 'ECANCEL')), 'CANCELLED');
  });

  test('deadlock (1205) and lock timeout (1222)', () => {
    assert.equal(
      codeOf(tediousError('Transaction (Process ID 53) was deadlocked…', 'EREQUEST', 1205)),
      'DEADLOCK',
    );
    const lock = classifyMssqlError(tediousError('Lock request time out period exceeded.', 'EREQUEST', 1222));
    assert.equal(lock?.code, 'LOCK_TIMEOUT');
    assert.match(lock?.message ?? '', /another session holds a conflicting lock/);
  });

  test('unreachable servers: socket codes, wrapped causes, instance lookup', () => {
    assert.equal(codeOf(tediousError('connect ECONNREFUSED 127.0.0.1:1433', 'ECONNREFUSED')), 'UNREACHABLE');
    const socket = tediousError(
      'Failed to connect to db1:1433 - getaddrinfo ENOTFOUND db1',
      'ESOCKET',
      undefined,
      {
        cause: tediousError('getaddrinfo ENOTFOUND db1', 'ENOTFOUND'),
      },
    );
    assert.equal(codeOf(socket), 'UNREACHABLE');
    assert.equal(codeOf(tediousError('Port for SQLEXPRESS not found in db1', 'EINSTLOOKUP')), 'UNREACHABLE');
  });

  test('an untrusted certificate is TLS_FAILED, with the fix', () => {
    const tls = tediousError(
      'Failed to connect to db1:1433 - self-signed certificate',
      'ESOCKET',
      undefined,
      {
        cause: tediousError('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'),
      },
    );
    const info = classifyMssqlError(tls);
    assert.equal(info?.code, 'TLS_FAILED');
    assert.match(info?.message ?? '', /trustServerCertificate=true/);
  });

  test('a connection lost mid-session, or a refused reconnect, is CONNECTION_LOST', () => {
    assert.equal(codeOf(tediousError('Connection lost - read ECONNRESET', 'ESOCKET')), 'CONNECTION_LOST');
    assert.equal(
      codeOf(tediousError('Connection closed before request completed.', 'ECLOSE')),
      'CONNECTION_LOST',
    );
    assert.equal(
      codeOf(tediousError('the connection to tenant a was lost', RECONNECT_REFUSED)),
      'CONNECTION_LOST',
    );
  });

  test('statements refused inside a transaction, and backup device errors', () => {
    assert.equal(
      codeOf(
        tediousError(
          'ALTER DATABASE statement not allowed within multi-statement transaction.',
          'EREQUEST',
          226,
        ),
      ),
      'NOT_TRANSACTIONAL',
    );
    const aggregate = new AggregateError([
      tediousError(
        "Cannot open backup device '/x/a.bak'. Operating system error 5(Access is denied.).",
        'EREQUEST',
        3201,
      ),
      tediousError('BACKUP DATABASE is terminating abnormally.', 'EREQUEST', 3013),
    ]);
    const info = classifyMssqlError(
      Object.assign(aggregate, { message: "BACKUP DATABASE [a] TO DISK = N'/x/a.bak' - " }),
    );
    assert.equal(info?.code, 'BACKUP_DEVICE');
    assert.match(info?.message ?? '', /path is on the SQL Server host/);
    assert.match(info?.message ?? '', /Msg 3201: Cannot open backup device/);
    assert.match(info?.message ?? '', /Msg 3013: BACKUP DATABASE is terminating abnormally/);
  });

  test('other server errors keep every message; anything else is left to the core', () => {
    const aggregate = new AggregateError([
      tediousError("Invalid object name 'nope'.", 'EREQUEST', 208),
      tediousError('Statement(s) could not be prepared.', 'EREQUEST', 8180),
    ]);
    const info = classifyMssqlError(aggregate);
    assert.equal(info?.code, 'FAILED');
    assert.equal(
      info?.message,
      "Msg 208: Invalid object name 'nope'. | Msg 8180: Statement(s) could not be prepared.",
    );
    assert.equal(classifyMssqlError(new Error('something else')), undefined);
    assert.equal(classifyMssqlError('a string'), undefined);
    assert.equal(classifyMssqlError(null), undefined);
  });

  test('a wrapper message is not repeated, and the adapter uses this classifier', () => {
    const inner = tediousError('Lock request time out period exceeded.', 'EREQUEST', 1222);
    const outer = new Error('GO batch 2 of 3 (from script line 5): Lock request time out period exceeded.', {
      cause: inner,
    });
    assert.equal(
      describeMssqlError(outer),
      'GO batch 2 of 3 (from script line 5): Lock request time out period exceeded.',
    );
    assert.equal(mssqlAdapter.classifyError(outer)?.code, 'LOCK_TIMEOUT');
  });
});
