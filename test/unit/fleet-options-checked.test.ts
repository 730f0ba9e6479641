// A library caller's fleet options are checked before anything runs, as the CLI checks its flags: a bad
// value is a UsageError (code USAGE_ERROR) naming the option — not p-limit's TypeError ("Expected
// `concurrency` to be a number from 1 and up"), a RangeError, or a value silently taken (a negative lock
// wait, a negative lock timeout) — and a tenant that never went through validateInventory is named.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import {
  backup,
  drift,
  type FleetOptions,
  migrate,
  type OnFailure,
  prepareUpgrade,
  type RollbackWith,
  rollbackRun,
  status,
  UsageError,
  upgrade,
  validateInventory,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const MIGRATIONS = resolve(import.meta.dirname, '../fixtures/migrations-basic');
writeFileSync(join(dir, 'a.sqlite'), '');
const tenants = validateInventory(
  [{ id: 'a', dialect: 'sqlite', connection: join(dir, 'a.sqlite') }],
  'test',
);

// What a JavaScript caller (or a cast) can pass, with what the message must name.
const BAD: [string, Record<string, unknown>, RegExp][] = [
  ['concurrency 0', { concurrency: 0 }, /concurrency must be a whole number of at least 1 \(got 0\)/],
  ['concurrency 1.5', { concurrency: 1.5 }, /concurrency must be a whole number of at least 1 \(got 1\.5\)/],
  ['concurrency NaN', { concurrency: Number.NaN }, /concurrency .*\(got NaN\)/],
  ['concurrency "4"', { concurrency: '4' }, /concurrency .*\(got "4"\)/],
  ['perHost -1', { perHost: -1 }, /perHost must be a whole number of at least 1 \(got -1\)/],
  ['lockWaitMs -5', { lockWaitMs: -5 }, /lockWaitMs must be a number of milliseconds, 0 or more \(got -5\)/],
  ['lockTimeoutMs -1', { timeouts: { lockTimeoutMs: -1 } }, /timeouts\.lockTimeoutMs must be .*\(got -1\)/],
  ['statementTimeoutMs "1m"', { timeouts: { statementTimeoutMs: '1m' } }, /timeouts\.statementTimeoutMs/],
  ['requestTimeoutMs Infinity', { requestTimeoutMs: Number.POSITIVE_INFINITY }, /requestTimeoutMs/],
  ['onEvent 5', { onEvent: 5 }, /onEvent must be a function/],
  ['signal {}', { signal: {} }, /signal must be an AbortSignal/],
  ['tenants missing', { tenants: undefined }, /tenants must be an array of tenants/],
  [
    'a tenant as the inventory file gives it',
    { tenants: [{ id: 'raw', dialect: 'sqlite', connection: join(dir, 'a.sqlite') }] },
    /tenant "raw" is not a validated tenant \(pass the inventory through validateInventory or loadInventory\)/,
  ],
];

for (const [what, bad, message] of BAD) {
  test(`migrate with ${what} rejects with a UsageError naming it`, async () => {
    const options = { tenants, migrations: MIGRATIONS, ...bad } as unknown as Parameters<typeof migrate>[0];
    await assert.rejects(migrate(options), (err) => {
      assert.ok(err instanceof UsageError, `${(err as Error).name}: ${(err as Error).message}`);
      assert.equal(err.code, 'USAGE_ERROR');
      assert.match(err.message, message);
      return true;
    });
  });
}

test('every verb checks them, before touching a tenant', async () => {
  const bad = { tenants, concurrency: 0 } as FleetOptions;
  for (const run of [
    () => status({ ...bad, migrations: MIGRATIONS }),
    () => drift(bad),
    () => backup({ ...bad, backupDir: join(dir, 'backups') }),
  ])
    await assert.rejects(run(), UsageError);
});

test('good options still run', async () => {
  const report = await status({
    tenants,
    migrations: MIGRATIONS,
    concurrency: 2,
    perHost: 1,
    lockWaitMs: 0,
    timeouts: { lockTimeoutMs: 1000 },
    signal: new AbortController().signal,
    onEvent: () => {},
  });
  assert.equal(report.summary.succeeded, 1);
});

// Words compared exactly by the code that reads them: a near miss was not an error but another behaviour.
// `onFailure: 'Rollback'` left a failed tenant as it was (no rollback), `with: 'Restore'` ran the down
// migrations instead of restoring the backup, `verify: 'full'` verified lightly.
test('a misspelt onFailure, rollbackWith, rollback with or backup verify is a UsageError', async () => {
  const setup = await prepareUpgrade({
    tenants,
    migrations: MIGRATIONS,
    backupDir: join(dir, 'upgrade-backups'),
    journal: join(dir, 'journal.db'),
  });
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'onFailure',
      () => upgrade({ ...setup, tenants, onFailure: 'Rollback' as OnFailure }),
      /onFailure must be one of rollback, stop, continue \(got "Rollback"\)/,
    ],
    [
      'rollbackWith',
      () => upgrade({ ...setup, tenants, rollbackWith: 'backup' as RollbackWith }),
      /rollbackWith must be one of restore, down \(got "backup"\)/,
    ],
    [
      'with',
      () => rollbackRun({ ...setup, tenants, run: true, with: 'Restore' as RollbackWith }),
      /with must be one of restore, down \(got "Restore"\)/,
    ],
    [
      'verify',
      () => backup({ tenants, backupDir: join(dir, 'backups'), verify: 'full' as 'deep' }),
      /verify must be one of none, light, deep \(got "full"\)/,
    ],
  ];
  for (const [what, run, message] of cases)
    await assert.rejects(run(), (err) => {
      assert.ok(err instanceof UsageError, `${what}: ${(err as Error).message}`);
      assert.match(err.message, message, what);
      return true;
    });
  // Nothing ran: no upgrade was journaled, no backup taken.
  assert.deepEqual(readdirSync(join(dir, 'upgrade-backups')), []);
});

// TypeScript refuses an unknown key in an object literal; JavaScript (or a spread) does not, and the key
// was ignored: `dryrun: true` applied the migrations it was meant to preview.
test('a key one typo away from an option is a UsageError naming the option meant; others are left alone', async () => {
  const fresh = join(dir, 'typo.sqlite');
  writeFileSync(fresh, '');
  const one = validateInventory([{ id: 'typo', dialect: 'sqlite', connection: fresh }], 'test');
  for (const [key, meant] of [
    ['dryrun', 'dryRun'],
    ['concurency', 'concurrency'],
    ['perhost', 'perHost'],
  ] as const) {
    const options = { tenants: one, migrations: MIGRATIONS, [key]: true } as unknown as Parameters<
      typeof migrate
    >[0];
    await assert.rejects(migrate(options), (err) => {
      assert.ok(err instanceof UsageError, (err as Error).message);
      assert.match(err.message, new RegExp(`unknown option ${key} \\(did you mean ${meant}\\?\\)`));
      return true;
    });
  }
  const report = await status({ tenants: one, migrations: MIGRATIONS, ...{ requestedBy: 'ci-job-42' } });
  assert.equal(report.summary.succeeded, 1, "the caller's own key is not an option's typo");
  assert.equal(report.tenants[0]?.details.current, null, 'nothing was applied by the refused runs');
});
