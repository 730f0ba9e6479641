// How a migration accepts a lint finding, and the mistakes that make `dbfleet lint` exit 2.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { acceptsOfAll } from '../../src/lint/accept.js';
import { acceptsOf, parseSqlAccepts } from '../../src/lint/index.js';
import { parseSqlSettings } from '../../src/migration/sql-file.js';
import type { Migration } from '../../src/migration/types.js';

function migration(overrides: Partial<Migration>): Migration {
  return {
    name: 'm.sql',
    file: '/m/m.sql',
    checksum: '',
    kind: 'sql',
    config: { transaction: true },
    up: async () => {},
    ...overrides,
  };
}

describe('-- dbfleet: allow=<rule> reason: <why>', () => {
  it('reads one rule and its reason per line, anywhere in the file, CRLF too', () => {
    const sql =
      '-- dbfleet: allow=drop-or-rename reason: the app stopped reading legacy in 4.2\r\n' +
      'drop table legacy;\r\n' +
      '  --dbfleet: ALLOW = index-not-concurrent   Reason:  table holds 20 rows on every tenant  \n';
    const { accepts, problems } = parseSqlAccepts(sql);
    assert.deepEqual(problems, []);
    assert.deepEqual(Object.fromEntries(accepts), {
      'drop-or-rename': 'the app stopped reading legacy in 4.2',
      'index-not-concurrent': 'table holds 20 rows on every tenant',
    });
  });

  it('requires a reason, and says how to write one', () => {
    for (const line of [
      '-- dbfleet: allow=drop-or-rename',
      '-- dbfleet: allow=drop-or-rename because I said so',
    ]) {
      const { accepts, problems } = parseSqlAccepts(line);
      assert.equal(accepts.size, 0);
      assert.match(
        problems[0] ?? '',
        /allow=drop-or-rename needs a reason: -- dbfleet: allow=drop-or-rename reason: /,
      );
    }
  });

  it('does not trouble the settings parser: allow lines sit beside transaction=false', () => {
    const sql = '-- dbfleet: transaction=false\n-- dbfleet: allow=drop-or-rename reason: app 4.2 is out\n';
    assert.deepEqual(parseSqlSettings(sql, 'f.sql'), { transaction: false });
  });
});

describe('accepts of a migration', () => {
  it("a module's config.allow: rule → reason", () => {
    const m = migration({
      kind: 'module',
      config: { transaction: true, allow: { 'set-not-null': ' 30 rows ' } },
    });
    assert.deepEqual(Object.fromEntries(acceptsOf(m).accepts), { 'set-not-null': '30 rows' });
  });

  it('an unknown rule or an empty reason is a usage error naming the file', () => {
    const typo = migration({ sql: { up: '-- dbfleet: allow=drop-or-renme reason: typo\n' } });
    const empty = migration({
      name: 'n.ts',
      file: '/m/n.ts',
      kind: 'module',
      config: { transaction: true, allow: { 'set-not-null': ' ' } },
    });
    assert.throws(
      () => acceptsOfAll([typo, empty]),
      (err: unknown) =>
        err instanceof UsageError &&
        /\/m\/m\.sql: allow=drop-or-renme: no such lint rule/.test(err.message) &&
        /\/m\/n\.ts: config\.allow\['set-not-null'\] needs a reason/.test(err.message),
    );
  });
});
