// A tool calling the library branches on `err.code` as a script branches on the `--json` document's
// `error.code`: a setup problem (the run never started) is a UsageError with code USAGE_ERROR, exactly as
// the CLI reports it. TenantError always had its code; UsageError had none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFailure } from '../../src/fleet/describe-failure.js';
import { ControlConnectionLost, ERROR_CODES, migrate, UsageError } from '../../src/index.js';

test('a UsageError carries the stable code USAGE_ERROR', () => {
  const err = new UsageError('bad inventory', ['tenant "a": no dialect']);
  assert.equal(err.code, 'USAGE_ERROR');
  assert.ok(err.code in ERROR_CODES);
  assert.equal(err.name, 'UsageError');
  assert.deepEqual(err.problems, ['tenant "a": no dialect']);
});

test('a verb that cannot start rejects with a UsageError whose code is USAGE_ERROR', async () => {
  await assert.rejects(migrate({ tenants: [], migrations: '/nonexistent/dbfleet-migrations' }), (err) => {
    assert.ok(err instanceof UsageError);
    assert.equal(err.code, 'USAGE_ERROR');
    return true;
  });
});

test("a UsageError inside a tenant's work is reported FAILED, its code not taken for a driver's", () => {
  // describeFailure keeps a thrown error's own `code` as `driverCode` (a SQLSTATE, ECONNREFUSED): dbfleet's
  // own USAGE_ERROR is not one.
  assert.deepEqual(describeFailure(new UsageError('the hook named no table')), {
    code: 'FAILED',
    message: 'the hook named no table',
  });
});

test("a worker's lost control connection carries a code too (CONNECTION_LOST)", () => {
  const err = new ControlConnectionLost('terminating connection due to administrator command');
  assert.equal(err.code, 'CONNECTION_LOST');
  assert.ok(err.code in ERROR_CODES);
});
