// The per-server circuit breaker: after three connection attempts in a row that nobody answered, the
// server's other tenants are skipped at once (HOST_DOWN); one attempt every 30 s tries it again.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TenantError } from '../../src/core/errors.js';
import { createHostBreaker, RETRY_DOWN_HOST_MS } from '../../src/fleet/host-breaker.js';

const HOST = 'postgres://db1:5432';

function fakeClock() {
  let t = 1_000_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function notTried(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TenantError);
    assert.equal(err.code, 'HOST_DOWN');
    assert.equal(err.skipped, true, 'not tried is skipped, not failed');
    return err.message;
  }
  assert.fail('expected the attempt to be refused');
}

describe('host breaker', () => {
  it('opens after three attempts nobody answered, naming the server and the last error', () => {
    const breaker = createHostBreaker(fakeClock().now);
    assert.equal(breaker.failed(HOST, 'CONNECT_TIMEOUT', 'no answer within 10s'), false);
    assert.equal(breaker.failed(HOST, 'UNREACHABLE', 'connect ECONNREFUSED'), false);
    breaker.admit(HOST);
    assert.equal(breaker.failed(HOST, 'CONNECT_TIMEOUT', 'no answer within 10s'), true, 'the third opens it');
    const message = notTried(() => breaker.admit(HOST));
    assert.match(
      message,
      /^not tried: postgres:\/\/db1:5432 did not answer the last 3 connection attempts \(last: CONNECT_TIMEOUT: no answer within 10s\)/,
    );
    // Another server is not affected.
    breaker.admit('postgres://db2:5432');
  });

  it('an answer in between — a session, or a refusal of the server’s own — resets the count', () => {
    const breaker = createHostBreaker(fakeClock().now);
    breaker.failed(HOST, 'CONNECT_TIMEOUT', 'x');
    breaker.failed(HOST, 'CONNECT_TIMEOUT', 'x');
    breaker.failed(HOST, 'DATABASE_NOT_FOUND', 'database "gone" does not exist');
    breaker.failed(HOST, 'CONNECT_TIMEOUT', 'x');
    breaker.failed(HOST, 'CONNECT_TIMEOUT', 'x');
    breaker.answered(HOST);
    breaker.failed(HOST, 'CONNECT_TIMEOUT', 'x');
    breaker.admit(HOST);
  });

  it('lets one attempt through every 30 s while open, and closes when the server answers', () => {
    const clock = fakeClock();
    const breaker = createHostBreaker(clock.now);
    for (let i = 0; i < 3; i++) breaker.failed(HOST, 'UNREACHABLE', 'refused');
    notTried(() => breaker.admit(HOST));
    clock.advance(RETRY_DOWN_HOST_MS);
    breaker.admit(HOST); // the retry
    notTried(() => breaker.admit(HOST)); // only one at a time
    breaker.failed(HOST, 'UNREACHABLE', 'refused'); // still down
    notTried(() => breaker.admit(HOST));
    clock.advance(RETRY_DOWN_HOST_MS);
    breaker.admit(HOST);
    breaker.answered(HOST);
    breaker.admit(HOST);
    breaker.admit(HOST);
  });
});
