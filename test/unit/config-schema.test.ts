// The schema is the configuration's one description: the loader refuses what it refuses, every problem
// at once, each named by its key path (`hooks.beforeTenant: …`), an unknown key anywhere with the key it
// probably meant. (What the editor refuses is test/types/define-config.ts, checked by the typecheck.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPath, knownKeysAt } from '../../src/config/issues.js';
import { CONFIG_KEYS } from '../../src/config/keys.js';
import { validateConfig } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { UsageError } from '../../src/core/errors.js';

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'knexfile.ts');
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    assert.match(err.message, /^knexfile\.ts: invalid configuration:/);
    return err.problems;
  }
  return assert.fail('expected the configuration to be refused');
}

describe('config schema', () => {
  it('knows exactly the keys dbfleet and knex accept', () => {
    assert.deepEqual(new Set(knownKeysAt(configSchema, [])), CONFIG_KEYS);
  });

  it('accepts every key typed as a user writes it, and returns the values', () => {
    const hook = async () => {};
    const run = () => true;
    const config = validateConfig(
      {
        inventory: { file: './tenants.json' },
        hooks: { beforeTenant: ['select 1', 'select 2'], afterTenant: hook },
        checks: [
          { name: 'users', sql: 'select 1' },
          { name: 'fn', run },
        ],
        throttle: { query: 'select 1', max: 5, interval: '2s', cacheFor: 500 },
        timeouts: { lock: '5s', statement: 0, lockWait: '1m', request: '30s' },
        backups: { directory: './b', keep: 2 },
        optimizations: './o',
        pool: { min: 0, max: 1 },
        fetchAsString: ['numeric'],
      },
      'k',
    );
    assert.deepEqual(config.hooks, { beforeTenant: ['select 1', 'select 2'], afterTenant: hook });
    assert.deepEqual(config.checks, [
      { name: 'users', sql: 'select 1' },
      { name: 'fn', run },
    ]);
    assert.deepEqual(config.throttle, { query: 'select 1', max: 5, interval: '2s', cacheFor: 500 });
  });

  it('names every problem at once by its key path: hooks, checks, throttle, timeouts', () => {
    const found = problems({
      hooks: { beforeTenant: 42, afterTenat: 'x' },
      checks: [{ name: 'a' }, { nam: 'b', sql: 's' }],
      throttle: { max: 'x' },
      timeouts: { lock: '5x' },
      concurrency: 0,
    });
    for (const expected of [
      /^hooks\.beforeTenant: must be SQL, a list of SQL statements, or a function/,
      /^unknown key "hooks\.afterTenat" \(did you mean "hooks\.afterTenant"\?\)$/,
      /^checks\[0\]: a check needs exactly one of sql or run$/,
      /^checks\[1\]\.name: a check needs a name$/,
      /^unknown key "checks\[1\]\.nam" \(did you mean "checks\[1\]\.name"\?\)$/,
      /^throttle\.query: /,
      /^throttle\.max: .*expected number/,
      /^timeouts\.lock: a duration like 5s or 500ms$/,
      /^concurrency: /,
    ]) {
      assert.ok(
        found.some((p) => expected.test(p)),
        `${expected} in:\n${found.join('\n')}`,
      );
    }
    assert.equal(found.length, 9, found.join('\n'));
  });

  it('follows the shape the value was meant for inside `string | { … }` and list settings', () => {
    const found = problems({
      hooks: { beforeTenant: ['select 1', 5] },
      migrations: { directory: 5 },
      backups: { kep: 3 },
      checks: 5,
      inventory: 7,
    });
    assert.deepEqual(found.sort(), [
      'checks: must be a folder path or a list of { name, sql } / { name, run }',
      'hooks.beforeTenant[1]: Invalid input: expected string, received number',
      'inventory: must be a list of tenants, { file }, { catalog }, { discover } or a function',
      'migrations.directory: must be a folder or a list of folders',
      'unknown key "backups.kep" (did you mean "backups.keep"?)',
    ]);
  });

  it("checks knex's keys only as far as knex would choke on them", () => {
    assert.deepEqual(problems({ pool: 3, searchPath: [1], useNullAsDefault: 'yes' }).sort(), [
      'pool: must be an object',
      'searchPath: must be a schema or a list of schemas',
      'useNullAsDefault: must be true or false',
    ]);
  });

  it('accepts false for a knex migrations setting dbfleet does not reproduce, refuses anything else', () => {
    assert.deepEqual(validateConfig({ migrations: { disableTransactions: false } }, 'k').migrations, {
      disableTransactions: false,
    });
    assert.match(
      problems({ migrations: { disableTransactions: true } })[0]!,
      /^migrations\.disableTransactions: not supported/,
    );
  });

  it('formats key paths the way a user writes them', () => {
    assert.equal(formatPath(['checks', 0, 'name']), 'checks[0].name');
    assert.equal(formatPath(['hooks', 'beforeTenant']), 'hooks.beforeTenant');
    assert.equal(formatPath([]), '');
  });
});
