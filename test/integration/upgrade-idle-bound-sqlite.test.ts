// The idle bound through a whole upgrade, not only `migrate`: a migration whose up() awaits a promise that
// never settles is stopped once it has sent no query for the statement timeout. Its tenant fails
// STATEMENT_TIMEOUT with nothing of the migration applied and stays closed to its users; the run goes on
// and ends by itself; the tenant's file is left unlocked for whoever looks at it next.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli-child.js';
import { writeSqliteUpgradeFleet } from '../helpers/sqlite-upgrade-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-upgrade-idle-bound-'));
const migrations = join(dir, 'migrations');
const dbfleet = (...args: string[]) =>
  runCli([...args, '--config', join(dir, 'knexfile.mjs')], { cwd: dir, env: {} });

/** The tenant's tables and history, read after a write (which needs the file unlocked). */
function read(id: string) {
  const db = new Database(join(dir, `${id}.sqlite`));
  try {
    db.exec('create table probe (id int); drop table probe');
    const tables = (
      db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]
    )
      .map((r) => r.name)
      .filter((name) => !/^(knex_|dbfleet_|sqlite_)/.test(name));
    const history = (
      db.prepare('select name from knex_migrations order by id').all() as { name: string }[]
    ).map((r) => r.name);
    return { tables: tables.sort(), history };
  } finally {
    db.close();
  }
}

before(async () => {
  writeSqliteUpgradeFleet(dir, ['hang', 'ok']);
  const first = await dbfleet('migrate');
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(
    join(migrations, '002_stuck.js'),
    `exports.up = async (knex) => {
  await knex.schema.createTable('nev', (t) => t.integer('id'));
  if (knex.client.config.connection.filename.endsWith('hang.sqlite')) await new Promise(() => {});
};
exports.down = (knex) => knex.schema.dropTable('nev');
`,
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('upgrade: a migration stuck between its queries', () => {
  it('fails its tenant STATEMENT_TIMEOUT, rolled back and closed; the other tenant is upgraded; the run ends', async () => {
    const run = await dbfleet('upgrade', '--json', '--statement-timeout', '2s', '--max-failures', '1');
    assert.equal(run.code, 1, run.stderr);
    const doc = JSON.parse(run.stdout) as {
      tenants: { id: string; status: string; error?: { code: string; message: string } }[];
    };
    const byId = new Map(doc.tenants.map((t) => [t.id, t]));
    assert.equal(byId.get('ok')?.status, 'succeeded', JSON.stringify(byId.get('ok')));
    assert.equal(byId.get('hang')?.status, 'failed');
    assert.equal(byId.get('hang')?.error?.code, 'STATEMENT_TIMEOUT', JSON.stringify(byId.get('hang')));
    assert.match(
      byId.get('hang')?.error?.message ?? '',
      /sent no query for 2(?:\.0)?s while running .*its transaction was rolled back; nothing of it was applied/,
    );
    // Nothing of 002 on the stuck tenant, and it stays closed (the failed tenant's maintenance stays).
    assert.deepEqual(read('hang'), { tables: ['base', 'maintenance'], history: ['001_base.sql'] });
    assert.deepEqual(read('ok'), { tables: ['base', 'nev'], history: ['001_base.sql', '002_stuck.js'] });
  });
});
