// What an operator sees from the CLI (a child process, stdout piped: 80 columns): an unreachable tenant's
// status is "unknown", the table fits 80 columns, --json is untouched, an inventory typo has its place.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { stripAnsi } from '../../src/cli/render/fit-width.js';
import { ROOT, runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-words-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const migrations = join(ROOT, 'migrations');

describe('words at the CLI', () => {
  it('status: an unreachable tenant is unknown, not pending 0; the table fits 80 columns', async () => {
    const missing = join(dir, 'no-such-folder', 'a-tenant-with-a-rather-long-name-for-a-table-cell.sqlite');
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify([{ id: 'gone-tenant-with-a-long-identifier', dialect: 'sqlite', connection: missing }]),
    );
    const args = ['status', '--tenants', join(dir, 'tenants.json'), '--migrations', migrations];
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    const row = r.stdout.split('\n').find((l) => l.includes('gone-tenant'));
    assert.match(row ?? '', /│ unknown +│ unknown +│ UNREACHABLE:/, r.stdout);
    for (const line of stripAnsi(r.stdout)
      .split('\n')
      .filter((l) => /^[│┌├└]/.test(l)))
      assert.ok([...line].length <= 80, `${[...line].length} columns: ${line}`);

    const json = await runCli([...args, '--json'], { cwd: dir });
    const tenant = JSON.parse(json.stdout).tenants[0];
    assert.equal(tenant.error.code, 'UNREACHABLE');
    assert.ok(!json.stdout.includes('"unknown"'), "the words are the table's, the JSON is as it was");
  });

  it('an inventory JSON syntax error names its line and column (exit 2)', async () => {
    writeFileSync(
      join(dir, 'bad.json'),
      '[\n  { "id": "a",\n    "dialect": "sqlite" "connection": "a.db" }\n]',
    );
    const r = await runCli(['status', '--tenants', join(dir, 'bad.json'), '--migrations', migrations], {
      cwd: dir,
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.json is not valid JSON at line 3, column 25: Expected ',' or '}'/);
  });

  it('upgrade with no optimizations folder (none configured) just has no optimizations', async () => {
    const fleet = mkdtempSync(join(dir, 'fleet-'));
    new Database(join(fleet, 'a.sqlite')).close();
    writeFileSync(
      join(fleet, 'tenants.json'),
      JSON.stringify([{ id: 'a', dialect: 'sqlite', connection: 'a.sqlite' }]),
    );
    const r = await runCli(
      [
        'upgrade',
        '--tenants',
        'tenants.json',
        '--migrations',
        migrations,
        '--backup-dir',
        'backups',
        '--journal',
        'journal.db',
        '--json',
      ],
      { cwd: fleet },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).summary.succeeded, 1);
  });

  // --reopen and --yes belong to rolling back an upgrade run (--run): without it, rollback would undo
  // every selected tenant's last batch, which is not what the operator asked for.
  it('rollback --reopen or --yes without --run is a usage error, and nothing is rolled back', async () => {
    const fleet = mkdtempSync(join(dir, 'rollback-'));
    new Database(join(fleet, 'a.sqlite')).close();
    writeFileSync(
      join(fleet, 'tenants.json'),
      JSON.stringify([{ id: 'a', dialect: 'sqlite', connection: 'a.sqlite' }]),
    );
    const common = ['--tenants', 'tenants.json', '--migrations', migrations, '--journal', 'j.db'];
    assert.equal((await runCli(['migrate', ...common], { cwd: fleet })).code, 0);
    const applied = () => {
      const db = new Database(join(fleet, 'a.sqlite'), { readonly: true });
      try {
        return (db.prepare('select count(*) as n from knex_migrations').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const before = applied();
    for (const flag of ['--reopen', '--yes']) {
      const r = await runCli(['rollback', ...common, flag], { cwd: fleet });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`rollback ${flag} rolls back an upgrade run: add --run`));
    }
    assert.equal(applied(), before);
  });

  // An error that stops a command before it starts is one line, not the command's whole help above it.
  it('a mistyped option is one line on stderr naming the option it is closest to (exit 2)', async () => {
    const r = await runCli(['migrate', '--concurrrency', '3'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      'dbfleet: Unknown argument: concurrrency (--concurrrency: did you mean --concurrency?) (dbfleet migrate --help)\n',
    );
  });

  // yargs said only "Did you mean migrate?" for `dbfleet migrat`, and "Unknown argument: frobnicate".
  it('a mistyped or unknown command is named as one (exit 2)', async () => {
    const typo = await runCli(['migrat'], { cwd: dir });
    assert.equal(typo.code, 2);
    assert.equal(
      typo.stderr,
      'dbfleet: unknown command "migrat". Did you mean migrate? (dbfleet --help lists them)\n',
    );
    const unknown = await runCli(['frobnicate'], { cwd: dir });
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'dbfleet: unknown command "frobnicate" (dbfleet --help lists them)\n');
    // With --json too (yargs then said "Unknown arguments: json, frobnicate"), on stderr and in the document.
    const unknownJson = await runCli(['frobnicate', '--json'], { cwd: dir });
    assert.equal(unknownJson.code, 2);
    assert.equal(unknownJson.stderr, 'dbfleet: unknown command "frobnicate" (dbfleet --help lists them)\n');
    assert.equal(
      JSON.parse(unknownJson.stdout).error.message,
      'unknown command "frobnicate" (dbfleet --help lists them)',
    );
  });

  // Only `dbfleet --help` said what the exit codes mean; a script author reads the command's own help.
  it("each fleet command's --help ends with its exit codes (drift its own), and says what --run latest is", async () => {
    for (const command of [
      'migrate',
      'rollback',
      'status',
      'upgrade',
      'backup',
      'verify',
      'restore',
      'optimize',
    ]) {
      const help = (await runCli([command, '--help'], { cwd: dir })).stdout;
      assert.match(help, /Exit codes: 0 every selected tenant is done · 1 .* · 2 usage/s, command);
      // Once: `migrate --help` printed the paragraph twice (the epilogue was added twice).
      assert.equal(help.split('Exit codes:').length - 1, 1, `${command} --help:\n${help}`);
    }
    // `rollback --run latest` is the newest *upgrade* run (a backup or restore run since is not one).
    const rollback = (await runCli(['rollback', '--help'], { cwd: dir })).stdout.replace(/\s+/g, ' ');
    assert.match(rollback, /"latest": the newest upgrade run/);
    // drift has codes of its own (exit 1 on drift, every tenant read); its --help did not say them.
    const drift = (await runCli(['drift', '--help'], { cwd: dir })).stdout;
    assert.match(drift, /Exit codes: 0 no drift · 1 drift, or a tenant that could not be read .* · 2 usage/s);
  });

  // --help explains the command: a flag it ignores is not offered there, though it is still accepted.
  it("a command's --help leaves out the common options it ignores, which it still accepts", async () => {
    const help = async (command: string) => (await runCli([command, '--help'], { cwd: dir })).stdout;
    const status = await help('status');
    for (const ignored of ['--backup-dir', '--optimizations', '--journal', '--lock-wait'])
      assert.doesNotMatch(status, new RegExp(`${ignored}\\b`), `status --help offers ${ignored}`);
    assert.match(status, /--migrations\b/);
    assert.doesNotMatch(await help('backup'), /--migrations\b/);
    assert.doesNotMatch(await help('drift'), /--migrations\b/);
    assert.match(await help('upgrade'), /--backup-dir\b[\s\S]*--lock-wait\b/);
    const r = await runCli(
      [
        'status',
        '--tenants',
        join(dir, 'none.json'),
        '--migrations',
        migrations,
        '--backup-dir',
        dir,
        '--json',
      ],
      { cwd: dir },
    );
    assert.doesNotMatch(r.stderr, /Unknown argument/);
  });
});
