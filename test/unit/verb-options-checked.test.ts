// A JavaScript caller (or one whose config value is undefined) is not held to the option types: a verb's
// own required option left out or of the wrong kind, or no options at all, gave a raw TypeError from deep
// inside (`Cannot read properties of undefined (reading 'map')`, `The "paths[0]" argument must be of type
// string`). Each verb now refuses it at its entry with a UsageError naming the verb and the option, as the
// fleet options already were; unknown `timeouts` keys are refused too, and an empty journal up front.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import {
  backup,
  drift,
  lint,
  migrate,
  optimize,
  plan,
  prepareUpgrade,
  repair,
  report,
  restore,
  rollback,
  rollbackRun,
  status,
  UsageError,
  upgrade,
  validateInventory,
  verify,
} from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-verb-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const MIGRATIONS = resolve(import.meta.dirname, '../fixtures/migrations-basic');
writeFileSync(join(dir, 'a.sqlite'), '');
const tenants = validateInventory(
  [{ id: 'a', dialect: 'sqlite', connection: join(dir, 'a.sqlite') }],
  'test',
);

/** Rejects with a UsageError (code USAGE_ERROR) whose message matches; returns it for more checks. */
async function usageError(run: () => Promise<unknown>, message: RegExp): Promise<UsageError> {
  let caught: unknown;
  await run().then(
    () => assert.fail(`resolved; expected a UsageError matching ${message}`),
    (err) => {
      caught = err;
    },
  );
  assert.ok(caught instanceof UsageError, `${(caught as Error).name}: ${(caught as Error).message}`);
  assert.equal(caught.code, 'USAGE_ERROR');
  assert.match(caught.message, message);
  return caught;
}

const MISSING: [string, () => Promise<unknown>, RegExp][] = [
  [
    'migrate without migrations',
    () => migrate({ tenants } as never),
    /^migrate: migrations is required: a folder path or the list loadMigrations returns$/,
  ],
  [
    'migrate with migrations 42',
    () => migrate({ tenants, migrations: 42 } as never),
    /^migrate: migrations must be a folder path or the list loadMigrations returns \(got 42\)$/,
  ],
  [
    'migrate with no options',
    () => migrate(undefined as never),
    /^migrate: options must be an object \(got undefined\)$/,
  ],
  ['status without migrations', () => status({ tenants } as never), /^status: migrations is required/],
  ['plan without migrations', () => plan({ tenants } as never), /^plan: migrations is required/],
  ['rollback without migrations', () => rollback({ tenants } as never), /^rollback: migrations is required/],
  [
    'repair with migrations ""',
    () => repair({ tenants, migrations: '' } as never),
    /^repair: migrations must be/,
  ],
  ['lint without migrations', () => lint({ all: true } as never), /^lint: migrations is required/],
  [
    'backup without backupDir',
    () => backup({ tenants } as never),
    /^backup: backupDir is required: a folder path$/,
  ],
  [
    'verify without backupDir',
    () => verify({ tenants } as never),
    /^verify: backupDir is required: a folder path$/,
  ],
  [
    'restore without backupDir',
    () => restore({ tenants, yes: true } as never),
    /^restore: backupDir is required: a folder path$/,
  ],
  [
    'optimize without optimizations',
    () => optimize({ tenants } as never),
    /^optimize: optimizations is required/,
  ],
  ['drift with no options', () => drift(undefined as never), /^drift: options must be an object/],
  [
    'upgrade without operations',
    () => upgrade({ tenants, journal: join(dir, 'j.db') } as never),
    /^upgrade: operations is required: what prepareUpgrade returns, spread into the options$/,
  ],
  [
    'rollbackRun without run',
    () => rollbackRun({ tenants, operations: {}, journal: join(dir, 'j.db') } as never),
    /^rollbackRun: run is required: an upgrade run id, or true for the latest$/,
  ],
  [
    'prepareUpgrade without backupDir',
    () => prepareUpgrade({ tenants, migrations: MIGRATIONS, journal: join(dir, 'j.db') } as never),
    /^prepareUpgrade: backupDir is required: a folder path$/,
  ],
  ['report without journal', () => report({} as never), /^report: journal is required/],
];

for (const [what, run, message] of MISSING)
  test(`${what} is a UsageError naming the verb and the option`, async () => {
    await usageError(run, message);
  });

test('a single cause is the one problem; several are each listed, and the message holds them all', async () => {
  const one = await usageError(() => backup({ tenants } as never), /backupDir/);
  assert.deepEqual(one.problems, [one.message]);
  const two = await usageError(
    () => migrate({ migrations: 42 } as never),
    /^migrate: the options are not valid:\n {2}- migrations must be .*\(got 42\)\n {2}- tenants must be an array/,
  );
  assert.equal(two.problems.length, 2);
  assert.match(two.problems[1]!, /^tenants must be an array of tenants \(got undefined\)$/);
});

test('an unknown key in timeouts is refused, with the key meant', async () => {
  await usageError(
    () => status({ tenants, migrations: MIGRATIONS, timeouts: { lockTimeoutMS: 100 } } as never),
    /unknown key "timeouts\.lockTimeoutMS" \(did you mean "timeouts\.lockTimeoutMs"\?\)/,
  );
  // The configuration file's spelling, copied into the library's options, ran with the defaults.
  const err = await usageError(
    () => status({ tenants, migrations: MIGRATIONS, timeouts: { lock: '5s', statement: '10m' } } as never),
    /unknown key "timeouts\.lock" \(timeouts takes lockTimeoutMs and statementTimeoutMs, in milliseconds\)/,
  );
  assert.equal(err.problems.length, 2);
  assert.match(err.problems[1]!, /unknown key "timeouts\.statement"/);
  await usageError(
    () => status({ tenants, migrations: MIGRATIONS, timeouts: '5s' } as never),
    /timeouts must be an object/,
  );
});

test('an empty journal is refused before anything runs', async () => {
  await usageError(
    () => migrate({ tenants, migrations: MIGRATIONS, journal: '' }),
    /^migrate: journal must be a SQLite file path, a postgres:\/\/ URL or an open Journal \(got ""\)$/,
  );
  await usageError(
    () => prepareUpgrade({ tenants, migrations: MIGRATIONS, backupDir: join(dir, 'b'), journal: '' }),
    /^prepareUpgrade: journal must be/,
  );
  await usageError(() => report({ journal: ' ' }), /^report: journal must be/);
  assert.equal(existsSync(join(dir, 'b')), false, 'the backup folder was not made');
});

test("messages name the library's option, which is also the CLI's flag, not the flag", async () => {
  await usageError(
    () => migrate({ tenants, migrations: MIGRATIONS, to: 'nope.ts' }),
    /^to: no such migration nope\.ts$/,
  );
  const err = await usageError(
    () => report({ journal: 'postgres://postgres:s3cret@127.0.0.1:notaport/x' }),
    /^journal: /,
  );
  assert.doesNotMatch(err.message, /s3cret/);
});

// Optional options of the wrong kind were silently ignored (`hooks: 'x'`, a `tools` string), or failed
// every tenant only once reached: `checks: 'x'` failed each tenant's check step after its migrations,
// and so rolled every tenant of the first wave back; `hooks: { beforeTenant: 5 }` failed each tenant
// `sql.trim is not a function`. They are refused at the verb's entry now, before anything is opened.
const WRONG_OPTIONAL: [string, () => Promise<unknown>, RegExp][] = [
  [
    'upgrade with checks that are not a list',
    () => upgrade({ tenants, operations: {} as never, journal: join(dir, 'j.db'), checks: 'x' as never }),
    /^upgrade: checks must be a list of \{ name, sql \} or \{ name, run \} \(got "x"\)$/,
  ],
  [
    'upgrade with a check that has both sql and run',
    () =>
      upgrade({
        tenants,
        operations: {} as never,
        journal: join(dir, 'j.db'),
        checks: [{ name: 'c', sql: 'select 1', run: () => true }],
      }),
    /^upgrade: checks must be a list/,
  ],
  [
    'upgrade with a hook that is a number',
    () =>
      upgrade({
        tenants,
        operations: {} as never,
        journal: join(dir, 'j.db'),
        hooks: { beforeTenant: 5 as never },
      }),
    /^upgrade: hooks must be \{ beforeTenant\?, afterTenant\? \}, each SQL/,
  ],
  [
    'upgrade with hooks as a string',
    () => upgrade({ tenants, operations: {} as never, journal: join(dir, 'j.db'), hooks: 'x' as never }),
    /^upgrade: hooks must be/,
  ],
  [
    'upgrade with a misspelt hook',
    () =>
      upgrade({
        tenants,
        operations: {} as never,
        journal: join(dir, 'j.db'),
        hooks: { beforetenant: 'select 1' } as never,
      }),
    /^upgrade: hooks must be/,
  ],
  [
    'rollbackRun with a hook that is a number',
    () =>
      rollbackRun({
        tenants,
        operations: {} as never,
        journal: join(dir, 'j.db'),
        run: true,
        hooks: { afterTenant: 5 as never },
      }),
    /^rollbackRun: hooks must be/,
  ],
  [
    'backup with tools as a string',
    () => backup({ tenants, backupDir: join(dir, 'b'), tools: 'pg_dump' as never }),
    /^backup: tools must be \{ bin: \{ pg_dump: /,
  ],
  [
    'restore with a tool path that is not a string',
    () =>
      restore({ tenants, backupDir: join(dir, 'b'), yes: true, tools: { bin: { pg_restore: 5 as never } } }),
    /^restore: tools must be/,
  ],
  [
    'migrate to a number',
    () => migrate({ tenants, migrations: MIGRATIONS, to: 5 as never }),
    /^migrate: to must be a migration name \(got 5\)$/,
  ],
  [
    'rollback to an empty name',
    () => rollback({ tenants, migrations: MIGRATIONS, to: '' }),
    /^rollback: to must be a migration name/,
  ],
];
for (const [what, run, message] of WRONG_OPTIONAL)
  test(`${what}: refused at the entry`, async () => {
    await usageError(run, message);
    assert.equal(existsSync(join(dir, 'j.db')), false, 'no journal was opened');
    assert.equal(existsSync(join(dir, 'b')), false, 'no backup folder was made');
  });

test('optional options of the right kind pass the entry check', async () => {
  const report = await migrate({
    tenants,
    migrations: MIGRATIONS,
    to: '20240101000100_create_projects.js',
    dryRun: true,
  });
  assert.equal(report.tenants.length, 1);
});

test("a message about an option named apart from its flag gives the library's name first, then the flag", async () => {
  await usageError(
    () => backup({ tenants, backupDir: join(dir, 'b'), fingerprintLevel: 'all' as never }),
    /^fingerprintLevel \(--fingerprint\) all: expected schema, counts, full$/,
  );
  await usageError(
    () => backup({ tenants, backupDir: join(dir, 'b'), keep: 0 }),
    /^keep \(--keep\) 0: expected a whole number/,
  );
  await usageError(
    () => verify({ tenants, backupDir: join(dir, 'b'), sample: 'lots' }),
    /^sample \(--sample\) lots: expected a number of tenants/,
  );
});

test("upgrade's gates (maxFailures, canary, waves) are refused before its journal is made", async () => {
  const journal = join(dir, 'gates.db');
  const base = { tenants, operations: {} as never, journal };
  await usageError(() => upgrade({ ...base, maxFailures: 'lots' }), /^maxFailures \(--max-failures\) "lots"/);
  await usageError(() => upgrade({ ...base, canary: 'no-such-tag' }), /^canary \(--canary\) no-such-tag/);
  await usageError(() => upgrade({ ...base, waves: '0%' }), /^waves \(--waves\) wave size 0%/);
  assert.equal(existsSync(journal), false, 'no journal was made');
});
