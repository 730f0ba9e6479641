// `--lock-timeout 5` meant 5 ms (a bare number is milliseconds, knex's unit): every migration that met any
// lock failed; `--statement-timeout 600` cut index builds off at 0.6 s; `--lock-timeout 0` silently turned the
// lock timeout off — the outage lint flags as lock-timeout-disabled. On the command line a number now needs
// its unit, and a lock timeout of 0 is refused; the config's and the library's milliseconds are unchanged.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overridesOf } from '../../src/cli/context.js';
import { durationMs } from '../../src/config/overrides.js';

const flags = (extra: Record<string, string>) => overridesOf({ json: false, ...extra } as never);

describe('duration flags', () => {
  it('a number without a unit is refused, naming the flag and the units', () => {
    for (const flag of ['lock-timeout', 'statement-timeout', 'lock-wait'])
      assert.throws(() => flags({ [flag]: '5' }), {
        name: 'UsageError',
        message: `--${flag} 5: give a unit — 5s, 5ms or 5m`,
      });
  });

  it('--lock-timeout 0 is refused and says why', () => {
    assert.throws(
      () => flags({ 'lock-timeout': '0' }),
      /^UsageError: --lock-timeout 0: that turns the lock timeout off/,
    );
  });

  it('durations with a unit, and 0 where it means none or at once, are taken', () => {
    const o = flags({ 'lock-timeout': '1.5s', 'statement-timeout': '0', 'lock-wait': '0' });
    assert.deepEqual([o.lockTimeout, o.statementTimeout, o.lockWait], [1500, 0, 0]);
    assert.equal(flags({ 'statement-timeout': '2m' }).statementTimeout, 120_000);
  });

  it('the library and the config keep milliseconds for a bare number', () => {
    assert.equal(durationMs('lockTimeout', 750), 750);
    assert.equal(durationMs('lockTimeout', '750'), 750);
  });

  // PostgreSQL refused the session of every tenant (a server error each, exit 1), and a Node timer that
  // long fires at once: a duration past 2^31 - 1 ms is a usage error before anything starts.
  it('a duration longer than 24.8 days is refused, on the command line and in the config', () => {
    assert.throws(
      () => flags({ 'lock-timeout': '99999999h' }),
      /^UsageError: --lock-timeout: duration 99999999h is too long/,
    );
    assert.throws(
      () => durationMs('lockWait', 3_000_000_000),
      /^UsageError: lockWait: duration 3000000000 is too long/,
    );
    assert.equal(flags({ 'statement-timeout': '596h' }).statementTimeout, 2_145_600_000);
  });
});
