// `error.code` is part of the `--json` contract: always one of ERROR_CODES, never a driver's own code.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ERROR_CODES, isErrorCode } from '../../src/core/error-codes.js';
import { type ErrorCode, storedError, TenantError } from '../../src/core/errors.js';
import { classifyMssqlError } from '../../src/dialect/mssql/errors.js';
import { classifyPostgresError } from '../../src/dialect/postgres/errors.js';
import { classifySqliteError } from '../../src/dialect/sqlite/errors.js';
import { describeFailure } from '../../src/fleet/describe-failure.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

const RAW_ERRORS: [string, unknown][] = [
  ['SQLite SQLITE_CANTOPEN', withCode('unable to open database file', 'SQLITE_CANTOPEN')],
  ['SQLite SQLITE_IOERR', withCode('disk I/O error', 'SQLITE_IOERR')],
  ['PostgreSQL 42P01', withCode('relation "accounts" does not exist', '42P01')],
  ['ECONNREFUSED', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
  ['tedious EREQUEST', Object.assign(withCode("Invalid object name 'x'.", 'EREQUEST'), { number: 208 })],
  ['a plain Error', new Error('something broke')],
  ['a string', 'not even an Error'],
];

const ADAPTERS = {
  postgres: { classifyError: classifyPostgresError },
  sqlite: { classifyError: classifySqliteError },
  mssql: { classifyError: classifyMssqlError },
  none: undefined,
};

describe('error codes', () => {
  for (const [name, adapter] of Object.entries(ADAPTERS)) {
    it(`${name}: every raw driver error becomes a dbfleet code, the driver's kept apart`, () => {
      for (const [what, err] of RAW_ERRORS) {
        const info = describeFailure(err, adapter);
        assert.ok(isErrorCode(info.code), `${what} gave ${info.code}`);
        const raw = (err as { code?: string }).code;
        if (raw) assert.equal(info.driverCode, raw, what);
      }
    });
  }

  it('the driver code survives classification (SQLITE_CANTOPEN is UNREACHABLE)', () => {
    const info = describeFailure(RAW_ERRORS[0]![1], ADAPTERS.sqlite);
    assert.deepEqual(
      { code: info.code, driverCode: info.driverCode },
      { code: 'UNREACHABLE', driverCode: 'SQLITE_CANTOPEN' },
    );
  });

  it('a TenantError built by JavaScript with an unknown code is FAILED', () => {
    const err = new TenantError('MY_OWN_CODE' as ErrorCode, 'from a hook');
    assert.equal(describeFailure(err).code, 'FAILED');
    assert.equal(describeFailure(new TenantError('LOCKED', 'held')).code, 'LOCKED');
  });

  it('a journaled code this version does not know is FAILED, the stored code kept in the message', () => {
    assert.deepEqual(storedError('FROM_THE_FUTURE', 'x'), { code: 'FAILED', message: '[FROM_THE_FUTURE] x' });
    assert.deepEqual(storedError('LOCKED', 'y'), { code: 'LOCKED', message: 'y' });
  });

  it('every code literal in src/ is a known code', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const found = new Set<string>();
    for (const file of files('src')) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/TenantError\(\s*'([^']+)'/g)) found.add(`${m[1]} (${file})`);
      // `code: 'X'` in an ErrorInfo. Not zod's issue code 'custom', nor the driver's own SQLITE_* that the
      // SQLite session throws for a missing file as the driver would (its classifier maps it).
      for (const m of text.matchAll(/\bcode: '([A-Z][A-Z0-9_]*)'/g))
        if (!m[1]!.startsWith('SQLITE_')) found.add(`${m[1]} (${file})`);
    }
    assert.ok(found.size > 30, 'the walk finds the codes');
    const unknown = [...found].filter((entry) => !isErrorCode(entry.split(' ')[0]));
    assert.deepEqual(unknown, []);
  });

  it('every code has a meaning', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[A-Z][A-Z0-9_]*$/);
      assert.ok(meaning.length > 10, code);
    }
  });
});
