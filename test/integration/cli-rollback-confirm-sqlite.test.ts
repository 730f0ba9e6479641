// `rollback --run <id>` restores pre-upgrade backups, so the CLI asks for --yes. It asked before it looked
// the run up: `rollback --run nosuchrun` answered "add --yes", and with --yes only then said the run did not
// exist. Now the run is found first: an unknown run is an unknown run, and the --yes question names the run
// and how many tenants it would restore, with nothing changed.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-confirm-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ids = ['a', 'b'];
const common = ['--tenants', 'tenants.json', '--migrations', 'migrations', '--journal', 'journal.db'];
const run = (args: string[]) => runCli([...args, ...common, '--backup-dir', 'backups'], { cwd: dir });
const hasItems = (id: string) => {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where name = 'items'").get() !== undefined;
  } finally {
    db.close();
  }
};

describe('rollback --run asks for --yes once it knows the run', () => {
  let runId = '';
  before(async () => {
    for (const id of ids) new Database(join(dir, `${id}.sqlite`)).close();
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify(ids.map((id) => ({ id, dialect: 'sqlite', connection: `${id}.sqlite` }))),
    );
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '001_items.js'),
      "exports.up = (knex) => knex.schema.createTable('items', (t) => { t.increments('id'); });\nexports.down = (knex) => knex.schema.dropTable('items');\n",
    );
    const up = await run(['upgrade', '--json']);
    assert.equal(up.code, 0, up.stderr);
    runId = (JSON.parse(up.stdout) as { runId: string }).runId;
  });

  it('an unknown run is said to be unknown, --yes or not', async () => {
    for (const extra of [[], ['--yes']]) {
      const r = await run(['rollback', '--run', 'nosuchrun', ...extra]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no upgrade run nosuchrun in the journal/);
      assert.doesNotMatch(r.stderr, /--yes/);
    }
  });

  it('a known run without --yes: refused with the run and its tenants named, nothing rolled back', async () => {
    const r = await run(['rollback', '--run', runId]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(`rollback --run ${runId} would restore .* of up to 2 tenant\\(s\\).*--yes`),
    );
    assert.deepEqual(ids.map(hasItems), [true, true]);
  });

  it('with --yes it rolls back', async () => {
    const r = await run(['rollback', '--run', runId, '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids.map(hasItems), [false, false]);
  });
});
