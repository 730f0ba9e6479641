import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAdvisoryLockHolder } from '../../src/dialect/postgres/advisory-lock.js';

// The holder row pg_locks/pg_stat_activity would give, without a server.
const holding =
  (application_name: string) =>
  async <T>() =>
    [
      {
        pid: 42,
        application_name,
        client_addr: null,
        client_port: null,
        backend_start: null,
        state: 'idle',
        state_change: null,
      },
    ] as T[];

describe("the tenant lock's holder", () => {
  it("a session named as this knexfile names dbfleet's sessions is another dbfleet runner", async () => {
    const text = await describeAdvisoryLockHolder(holding('billing-migrations'), '', 'billing-migrations');
    assert.match(
      text!,
      /^held by another dbfleet runner \(backend pid 42, application_name 'billing-migrations'/,
    );
  });

  it("any other name is not dbfleet; dbfleet's own default name still is", async () => {
    assert.match(
      (await describeAdvisoryLockHolder(holding('psql'), '', 'billing-migrations'))!,
      /not dbfleet/,
    );
    assert.match((await describeAdvisoryLockHolder(holding('dbfleet'), ''))!, /another dbfleet runner/);
  });
});
