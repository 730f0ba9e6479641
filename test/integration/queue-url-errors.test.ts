// A --queue that cannot be used stops the command before anything runs: exit 2, one line naming the
// queue with its password masked — before, "unexpected error: connect ECONNREFUSED …" (exit 1, no
// word of which database), and a mysql:// URL was handed to pg-boss as if it were PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ROOT, runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-queue-url-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'Queue7secret';
const migrations = join(ROOT, 'test/fixtures/migrations-basic');
const tenants = join(dir, 'tenants.json');
new Database(join(dir, 'acme.sqlite')).close();
writeFileSync(tenants, JSON.stringify([{ id: 'acme', dialect: 'sqlite', connection: 'acme.sqlite' }]));

function migrated(): boolean {
  const db = new Database(join(dir, 'acme.sqlite'), { readonly: true });
  try {
    return db.prepare("select 1 from sqlite_master where name = 'knex_migrations'").get() !== undefined;
  } finally {
    db.close();
  }
}

const CASES = [
  [
    'a server that refuses connections',
    `postgres://postgres:${PASSWORD}@127.0.0.1:1/control`,
    /^dbfleet: cannot open the queue postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/control: .*ECONNREFUSED/,
  ],
  [
    'a URL that is not PostgreSQL',
    `mysql://root:${PASSWORD}@127.0.0.1/control`,
    /^dbfleet: --queue needs a postgres:\/\/ URL of the control database, not "mysql:\/\/root:\*\*\*@/,
  ],
] as const;

describe('a --queue that cannot be used', () => {
  for (const [what, queue, line] of CASES) {
    it(`${what}: migrate --queue exits 2 with one line, nothing migrated`, async () => {
      const r = await runCli(
        ['migrate', '--tenants', tenants, '--migrations', migrations, '--queue', queue],
        {
          cwd: dir,
        },
      );
      assert.equal(r.code, 2, r.stderr);
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, line);
      assert.ok(!r.stderr.includes(PASSWORD), 'the password leaked');
      assert.equal(migrated(), false);
    });
  }

  it('worker --queue mysql://…: exit 2 before it says it is waiting for jobs', async () => {
    const r = await runCli(['worker', '--tenants', tenants, '--queue', CASES[1][1]], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, CASES[1][2]);
    assert.doesNotMatch(r.stderr, /waiting for tenant jobs/);
  });
});
