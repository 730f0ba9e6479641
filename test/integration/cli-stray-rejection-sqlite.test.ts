// A migration that starts a query without awaiting or returning it (a data fix inside a `.then` callback
// that returns nothing): the migration resolves, the query fails afterwards, and nobody handles the
// rejection. knex's CLI finishes its run. dbfleet's CLI died of it (Node ends the process on an unhandled
// rejection): the first tenant migrated, the others never started, the journal's run left unfinished and
// no JSON report on stdout. Now every tenant runs and the rejection is said on stderr.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-stray-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ids = ['a', 'b', 'c'];

describe('a migration whose un-awaited query fails', () => {
  before(() => {
    for (const id of ids) new Database(join(dir, `${id}.sqlite`)).close();
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify(ids.map((id) => ({ id, dialect: 'sqlite', connection: `${id}.sqlite` }))),
    );
    mkdirSync(join(dir, 'migrations'));
    const migration = (name: string, up: string) =>
      writeFileSync(join(dir, 'migrations', name), `exports.up = ${up};\nexports.down = async () => {};\n`);
    migration('001_items.js', "(knex) => knex.schema.createTable('items', (t) => { t.increments('id'); })");
    migration(
      '002_floating_fix.js',
      "(knex) => knex.schema.alterTable('items', (t) => { t.string('kind'); }).then(() => {\n  knex('items').update({ no_such_column: 1 }).then(() => {});\n})",
    );
    migration('003_seed.js', "async (knex) => { await knex('items').insert({ kind: 'x' }); }");
  });

  it('every tenant is migrated and reported; the rejection is on stderr', async () => {
    const r = await runCli(
      ['migrate', '--json', '--concurrency', '1', '--tenants', 'tenants.json', '--migrations', 'migrations'],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { tenants: { id: string; status: string; applied: string[] }[] };
    assert.deepEqual(
      report.tenants.map((t) => [t.id, t.status, t.applied.length]),
      ids.map((id) => [id, 'succeeded', 3]),
    );
    assert.match(r.stderr, /a promise nobody awaited was rejected .*no such column: no_such_column/);
    for (const id of ids) {
      const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
      try {
        assert.equal((db.prepare('select count(*) as n from items').get() as { n: number }).n, 1);
      } finally {
        db.close();
      }
    }
  });
});
