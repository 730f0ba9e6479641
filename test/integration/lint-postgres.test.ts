// `dbfleet lint` as an operator runs it against PostgreSQL tenants: what is pending is read from each
// tenant, every unsafe migration of test/fixtures/lint/unsafe is flagged by its rule (exit 1), the same
// folder with every finding accepted exits 0, and the safe twins lint clean and then really run.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LintReport } from '../../src/lint/index.js';
import { ROOT, runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const UNSAFE = join(ROOT, 'test/fixtures/lint/unsafe');
const SAFE = join(ROOT, 'test/fixtures/lint/safe');
const APPLIED = '002_applied_index.sql';

/** Each unsafe migration and the one rule it breaks. */
const EXPECTED: [string, string][] = [
  ['003_index.sql', 'index-not-concurrent'],
  ['004_concurrently_in_tx.sql', 'concurrently-in-transaction'],
  ['005_not_null.ts', 'add-column-not-null'],
  ['006_volatile_default.sql', 'add-column-volatile-default'],
  ['007_type_change.sql', 'alter-column-type'],
  ['008_foreign_key.sql', 'constraint-missing-not-valid'],
  ['009_set_not_null.sql', 'set-not-null'],
  ['010_drop.sql', 'drop-or-rename'],
  ['011_lock_timeout.sql', 'lock-timeout-disabled'],
  // Inside the migration's own knex.transaction: its SQL was not derived, so it passed unlinted.
  ['012_index_in_transaction.ts', 'index-not-concurrent'],
];

const pairs = (report: LintReport) =>
  report.migrations.flatMap((m) => m.findings.map((f): [string, string] => [f.migration, f.rule]));

describe('dbfleet lint against PostgreSQL', () => {
  const prefix = uniquePrefix('lint');
  const db = { a: `${prefix}_a`, b: `${prefix}_b`, c: `${prefix}_c` };
  let dir: string;
  let inventory: string;
  const dbfleet = (...args: string[]) =>
    runCli([...args, '--tenants', inventory, '--journal', join(dir, 'journal.db')], { cwd: dir });

  before(async () => {
    await createDatabases(Object.values(db));
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-lint-'));
    inventory = join(dir, 'fleet.json');
    const tenants = [...Object.entries(db), ['missing', `${prefix}_missing`]];
    writeFileSync(
      inventory,
      JSON.stringify(tenants.map(([id, name]) => ({ id, dialect: 'postgres', connection: pgUrl(name!) }))),
    );
    // a runs the unsafe folder, c the safe one; both are at release 1 (001, 002) with rows in it.
    for (const [tenant, folder] of [
      ['a', UNSAFE],
      ['c', SAFE],
    ] as const) {
      const run = await dbfleet('migrate', '--tenant', tenant, '--migrations', folder, '--to', APPLIED);
      assert.equal(run.code, 0, run.stderr + run.stdout);
      await queryDatabase(
        db[tenant],
        "insert into owners values (1); insert into accounts values (1, 'ann', 'a@x', 1)",
      );
    }
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('flags each pending unsafe migration with its rule, not the applied one; --json, exit 1', async () => {
    const run = await dbfleet('lint', '--tenant', 'a', '--migrations', UNSAFE, '--json');
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as LintReport;
    assert.equal(report.ok, false);
    assert.deepEqual(pairs(report), EXPECTED);
    for (const f of report.migrations.flatMap((m) => m.findings)) {
      assert.ok(f.statement && f.why && f.safe, JSON.stringify(f));
      assert.equal(f.accepted, undefined);
    }
    assert.equal(
      report.migrations.find((m) => m.name === '003_index.sql')?.findings[0]?.statement,
      'create index accounts_name on accounts (name)',
    );
  });

  it('the table names migration, rule and statement; exit 1', async () => {
    const run = await dbfleet('lint', '--tenant', 'a', '--migrations', UNSAFE);
    assert.equal(run.code, 1, run.stderr);
    for (const [migration, rule] of EXPECTED) {
      assert.ok(run.stdout.includes(rule), `${rule} in:\n${run.stdout}`);
      assert.ok(run.stdout.includes(migration.slice(0, 10)), migration);
    }
    assert.match(run.stdout, /10 finding\(s\): 10 not accepted, 0 accepted/);
    assert.match(run.stdout, /allow=<rule> reason: <why>/);
  });

  it('exits 0 when every finding is accepted with a reason (SQL comment, config.allow)', async () => {
    const accepted = join(dir, 'accepted');
    cpSync(UNSAFE, accepted, { recursive: true });
    for (const [migration, rule] of EXPECTED) {
      const file = join(accepted, migration);
      if (migration.endsWith('.ts'))
        appendFileSync(
          file,
          `\nexport const config = { allow: { '${rule}': 'accounts is empty on every tenant' } };\n`,
        );
      else appendFileSync(file, `\n-- dbfleet: allow=${rule} reason: checked with the app team\n`);
    }
    const run = await dbfleet('lint', '--tenant', 'a', '--migrations', accepted, '--json');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout) as LintReport;
    assert.equal(report.ok, true);
    assert.deepEqual(pairs(report), EXPECTED);
    assert.deepEqual(report.summary, { migrations: 10, findings: 10, accepted: 10, unaccepted: 0 });
  });

  it('a table is new for a later migration only where every tenant running it creates the table first', async () => {
    // b has nothing applied: 001 creates accounts on b before 002 indexes it, so 002 is fine there.
    const run = await dbfleet('lint', '--tenant', 'a', '--tenant', 'b', '--migrations', UNSAFE, '--json');
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as LintReport;
    assert.deepEqual(pairs(report), EXPECTED);
    assert.deepEqual(report.migrations.find((m) => m.name === APPLIED)?.findings, []);
  });

  it('--all lints every migration without a database, the applied one too', async () => {
    const run = await runCli(['lint', '--all', '--migrations', UNSAFE, '--json'], { cwd: dir });
    assert.equal(run.code, 1, run.stderr);
    assert.deepEqual(pairs(JSON.parse(run.stdout) as LintReport), [
      [APPLIED, 'index-not-concurrent'],
      ...EXPECTED,
    ]);
  });

  it('the safe twins lint clean (exit 0), then run on a table with rows', async () => {
    const run = await dbfleet('lint', '--tenant', 'c', '--migrations', SAFE, '--json');
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const report = JSON.parse(run.stdout) as LintReport;
    assert.equal(report.summary.migrations, 9);
    assert.deepEqual(pairs(report), []);
    const migrate = await dbfleet('migrate', '--tenant', 'c', '--migrations', SAFE);
    assert.equal(migrate.code, 0, migrate.stderr + migrate.stdout);
    const [row] = await queryDatabase<{ score: number; name: string }>(
      db.c,
      'select score, name from accounts',
    );
    assert.deepEqual(row, { score: 0, name: 'ann' });
  });

  it('a tenant that cannot be read leaves the lint incomplete: exit 1, named in the report', async () => {
    const run = await dbfleet('lint', '--tenant', 'c', '--tenant', 'missing', '--migrations', SAFE, '--json');
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as LintReport;
    assert.deepEqual(
      report.unreadTenants.map((t) => t.id),
      ['missing'],
    );
  });

  it('usage errors exit 2: an accept without a reason, --dialect without --all', async () => {
    const noReason = join(dir, 'no-reason');
    cpSync(SAFE, noReason, { recursive: true });
    appendFileSync(
      join(noReason, '003_index_concurrently.sql'),
      '\n-- dbfleet: allow=index-not-concurrent\n',
    );
    const run = await runCli(['lint', '--all', '--migrations', noReason], { cwd: dir });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /allow=index-not-concurrent needs a reason/);
    const dialect = await runCli(['lint', '--dialect', 'mssql', '--migrations', SAFE], { cwd: dir });
    assert.equal(dialect.code, 2, dialect.stderr);
  });
});
