// A flag given with no value is a usage error (exit 2), never "not given": in a script,
// `dbfleet migrate --tenant $T` with T unset must not migrate the whole fleet, and `--tenants $FILE`
// must not fall back to the configuration's inventory.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ROOT, runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-empty-values-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const migrations = join(ROOT, 'test/fixtures/migrations-basic');
const IDS = ['alpha', 'beta'];

/** Whether the tenant's file has knex's history table: a migrate reached it. */
function migrated(id: string): boolean {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
  try {
    return db.prepare("select 1 from sqlite_master where name = 'knex_migrations'").get() !== undefined;
  } finally {
    db.close();
  }
}

describe('flags given with no value', () => {
  before(() => {
    for (const id of IDS) new Database(join(dir, `${id}.sqlite`)).close();
    const tenants = IDS.map((id) => ({ id, dialect: 'sqlite', connection: `${id}.sqlite`, tags: ['eu'] }));
    writeFileSync(join(dir, 'tenants.json'), JSON.stringify(tenants));
    // The configuration's own inventory: what an empty --tenants would have fallen back to.
    writeFileSync(
      join(dir, 'knexfile.mjs'),
      `export default { inventory: { file: './tenants.json' }, migrations: { directory: ${JSON.stringify(migrations)} } };\n`,
    );
  });

  for (const flags of [['--tenant'], ['--tenant='], ['--tag'], ['--exclude'], ['--tenants'], ['--journal']]) {
    it(`migrate ${flags.join(' ')}: exit 2 naming the flag, no tenant touched`, async () => {
      const r = await runCli(['migrate', ...flags], { cwd: dir });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      const flag = flags[0]!.replace(/=$/, '');
      assert.match(r.stderr, new RegExp(`^dbfleet: ${flag} needs a value`));
      for (const id of IDS) assert.equal(migrated(id), false, `${id} was migrated`);
    });
  }

  it('a selection with values still works (the check refuses only the empty ones)', async () => {
    const r = await runCli(['migrate', '--tenant', 'alpha', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).tenants.map((t: { id: string }) => t.id),
      ['alpha'],
    );
    assert.equal(migrated('beta'), false);
  });
});
