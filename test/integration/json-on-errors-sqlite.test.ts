// `--json` is one JSON document on stdout however the command ends: a script parses stdout before it
// looks at the exit code. A usage, configuration or inventory error (exit 2) has no report, so stdout
// carries the report of no tenant with the error on top; stderr keeps its one line for the log. Before,
// stdout was empty and `JSON.parse` threw.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-json-on-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'Json4errorPw';
const migrations = join(ROOT, 'test/fixtures/migrations-basic');
const malformed = join(dir, 'malformed.json');
writeFileSync(malformed, '[{ "id": "acme", "dialect": "sqlite",');
const duplicates = join(dir, 'duplicates.json');
writeFileSync(
  duplicates,
  JSON.stringify([
    { id: 'acme', dialect: 'postgres', connection: `postgres://app:${PASSWORD}@db1/acme` },
    { id: 'ACME', dialect: 'postgres', connection: { host: 'db1', password: PASSWORD, database: 'b' } },
  ]),
);

const FLEET_COMMANDS = [
  'migrate',
  'status',
  'plan',
  'lint',
  'drift',
  'rollback',
  'repair',
  'backup',
  'verify',
  'restore',
  'optimize',
  'upgrade',
];

/** Runs dbfleet and returns its one JSON document, after checking the exit code and that stderr says the same. */
async function errorDocument(args: string[], code = 2): Promise<Record<string, unknown>> {
  const r = await runCli(args, { cwd: dir });
  assert.equal(r.code, code, r.stderr);
  assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), 'the password leaked');
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    return assert.fail(`stdout is not one JSON document: ${JSON.stringify(r.stdout)}`);
  }
  // The report's shape, for no tenant: a script reading summary.failed or tenants[] does not crash.
  assert.deepEqual(Object.keys(doc), ['command', 'ok', 'error', 'summary', 'tenants']);
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.summary, { total: 0, succeeded: 0, failed: 0, skipped: 0 });
  assert.deepEqual(doc.tenants, []);
  // The message is what stderr says (one line, or a headline and its list of problems).
  assert.equal(r.stderr, `dbfleet: ${(doc.error as { message: string }).message}\n`);
  return doc;
}

describe('--json when the command cannot start', () => {
  for (const command of FLEET_COMMANDS) {
    it(`${command} --json with a malformed inventory: exit 2 and the error document`, async () => {
      const doc = await errorDocument([
        command,
        '--json',
        '--tenants',
        malformed,
        '--migrations',
        migrations,
      ]);
      assert.equal(doc.command, command);
      assert.deepEqual(doc.error, {
        code: 'USAGE_ERROR',
        message: `${malformed} is not valid JSON at line 1, column 38: Expected double-quoted property name`,
      });
    });
  }

  it('an inventory with duplicate ids: every problem in the message, no password', async () => {
    const doc = await errorDocument([
      'migrate',
      '--json',
      '--tenants',
      duplicates,
      '--migrations',
      migrations,
    ]);
    assert.match((doc.error as { message: string }).message, /id "ACME" differs only in case from "acme"/);
  });

  it('a mistyped option (a yargs usage error): the same document, naming the command', async () => {
    const doc = await errorDocument(['status', '--json', '--concurrrency', '3']);
    assert.equal(doc.command, 'status');
    assert.match((doc.error as { message: string }).message, /^Unknown argument: concurrrency/);
  });

  it('report --json with no journal: the same document', async () => {
    const doc = await errorDocument(['report', '--json', '--journal', join(dir, 'none.db')]);
    assert.equal(doc.command, 'report');
    assert.equal((doc.error as { code: string }).code, 'USAGE_ERROR');
  });

  it('worker --json (one object a line): the document is one line', async () => {
    const r = await runCli(
      ['worker', '--json', '--queue', `mysql://u:${PASSWORD}@h/x`, '--tenants', malformed],
      {
        cwd: dir,
      },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout.split('\n').length, 2, r.stdout);
    assert.equal(JSON.parse(r.stdout).error.code, 'USAGE_ERROR');
  });

  it('without --json, stdout stays empty', async () => {
    const r = await runCli(['migrate', '--tenants', malformed, '--migrations', migrations], { cwd: dir });
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
  });
});
