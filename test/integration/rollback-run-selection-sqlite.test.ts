// `rollback --run <id> --tenant acme` refused: "tenants of run … missing from the inventory: b, c" —
// the run's tenants were compared with the *selected* ones, so one tenant of a run could not be rolled
// back, and the reason given was false (they are in the inventory). A selection now rolls back the
// selected tenants of the run and says how many it left out; a tenant of the run that really is not in
// the inventory is still a usage error naming it, and the --yes question names what it would restore.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-selection-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ids = ['a', 'b', 'c'];
const common = ['--migrations', 'migrations', '--journal', 'journal.db', '--backup-dir', 'backups'];
const run = (args: string[], tenants = 'tenants.json') =>
  runCli([...args, ...common, '--tenants', tenants], { cwd: dir });
const hasItems = (id: string) => {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where name = 'items'").get() !== undefined;
  } finally {
    db.close();
  }
};
const inventory = (only: string[]) =>
  JSON.stringify(only.map((id) => ({ id, dialect: 'sqlite', connection: `${id}.sqlite` })));

describe('rollback --run with a selection', () => {
  let runId = '';
  before(async () => {
    for (const id of ids) new Database(join(dir, `${id}.sqlite`)).close();
    writeFileSync(join(dir, 'tenants.json'), inventory(ids));
    writeFileSync(join(dir, 'without-c.json'), inventory(['a', 'b']));
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '001_items.js'),
      "exports.up = (knex) => knex.schema.createTable('items', (t) => { t.increments('id'); });\nexports.down = (knex) => knex.schema.dropTable('items');\n",
    );
    const up = await run(['upgrade', '--json']);
    assert.equal(up.code, 0, up.stderr);
    runId = (JSON.parse(up.stdout) as { runId: string }).runId;
  });

  it('a tenant of the run that is not in the inventory is still refused, named', async () => {
    const r = await run(['rollback', '--run', runId, '--tenant', 'a', '--yes'], 'without-c.json');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`tenants of run ${runId} missing from the inventory: c\\n`));
    assert.deepEqual(ids.map(hasItems), [true, true, true]);
  });

  it('without --yes the question names only the selected tenant and what was left out', async () => {
    const r = await run(['rollback', '--run', runId, '--exclude', 'b', '--exclude', 'c']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /would restore the pre-upgrade backups of up to 1 tenant\(s\) \(a\)/);
    assert.match(r.stderr, /2 of the run's 3 tenant\(s\) to roll back left out by the selection: b, c/);
    assert.doesNotMatch(r.stderr, /missing from the inventory/);
    assert.deepEqual(ids.map(hasItems), [true, true, true]);
  });

  it('--tenant a rolls back a only, and says the other two were left out', async () => {
    const r = await run(['rollback', '--run', runId, '--tenant', 'a', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids.map(hasItems), [false, true, true]);
    assert.match(r.stdout, /2 of the run's 3 tenant\(s\) to roll back left out by the selection: b, c/);
    const json = await run(['rollback', '--run', runId, '--tag', 'nosuchtag', '--yes', '--json']);
    assert.equal(json.code, 2, 'a selection matching no tenant is refused before the run');
  });

  it("a selection with none of the run's tenants left to roll back is refused, naming them", async () => {
    writeFileSync(join(dir, 'd.sqlite'), '');
    writeFileSync(join(dir, 'with-d.json'), inventory([...ids, 'd']));
    const r = await run(['rollback', '--run', runId, '--tenant', 'd', '--yes'], 'with-d.json');
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`none of the selected tenants is one run ${runId} changed; its tenants: a, b, c`),
    );
  });

  it('then the rest of the run: a is left alone (rolled back already), b and c are restored', async () => {
    const r = await run(['rollback', '--run', runId, '--yes', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ids.map(hasItems), [false, false, false]);
    // The JSON report's tenant entries carry their details flat.
    const report = JSON.parse(r.stdout) as { tenants: { id: string; alreadyRolledBack?: string }[] };
    assert.ok(report.tenants.find((t) => t.id === 'a')?.alreadyRolledBack, r.stdout);
  });
});
