// `dbfleet init` in an ESM and a CommonJS project: the starter it writes migrates as is, and a second
// run (or an existing knexfile) keeps every file untouched.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/cli-child.js';
import { sqliteHistory } from '../helpers/sqlite-history.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-init-'));
after(() => rmSync(root, { recursive: true, force: true }));
const env = { NODE_ENV: '' };

function project(name: string, type: 'module' | 'commonjs'): string {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
  return dir;
}

describe('dbfleet init', () => {
  for (const type of ['module', 'commonjs'] as const) {
    it(`writes a starter that migrates as is (${type} project)`, async () => {
      const dir = project(`p-${type}`, type);
      const init = await runCli(['init'], { cwd: dir, env });
      assert.equal(init.code, 0, init.stderr);
      for (const path of ['knexfile.js', 'tenants.json', 'tenants/tenant-a.sqlite']) {
        assert.match(init.stdout, new RegExp(`wrote\\s+${path.replace('.', '\\.')}`));
      }
      const knexfile = readFileSync(join(dir, 'knexfile.js'), 'utf8');
      assert.match(knexfile, type === 'module' ? /^export default \{/m : /^module\.exports = \{/m);

      const migrate = await runCli(['migrate', '--json'], { cwd: dir, env });
      assert.equal(migrate.code, 0, migrate.stderr);
      const report = JSON.parse(migrate.stdout);
      assert.equal(report.summary.succeeded, 2);
      assert.deepEqual(sqliteHistory(join(dir, 'tenants/tenant-a.sqlite')), [
        '20260101000000_create_accounts.js',
      ]);

      const again = await runCli(['init'], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stdout, /wrote/);
      // Its own knexfile, kept, names the inventory already: nothing to add.
      assert.doesNotMatch(again.stdout, /add `inventory/, again.stdout);
      assert.equal(readFileSync(join(dir, 'knexfile.js'), 'utf8'), knexfile);
      assert.deepEqual(sqliteHistory(join(dir, 'tenants/tenant-a.sqlite')), [
        '20260101000000_create_accounts.js',
      ]);
    });
  }

  it("keeps a knex user's knexfile and says what to add", async () => {
    const dir = project('p-knex', 'commonjs');
    const mine = "module.exports = { client: 'better-sqlite3', connection: { filename: 'x.sqlite' } };\n";
    writeFileSync(join(dir, 'knexfile.js'), mine);
    const init = await runCli(['init', '--dialect', 'postgres'], { cwd: dir, env });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /kept\s+knexfile\.js/);
    assert.match(init.stdout, /inventory: \{ file: '\.\/tenants\.json' \}/);
    assert.equal(readFileSync(join(dir, 'knexfile.js'), 'utf8'), mine);
    const tenants = JSON.parse(readFileSync(join(dir, 'tenants.json'), 'utf8'));
    assert.deepEqual(
      tenants.map((t: { dialect: string }) => t.dialect),
      ['postgres', 'postgres'],
    );
  });

  // A project whose tenants.json lists its own fleet got the starter's empty tenant files, and the starter
  // migration (create accounts) — which the next migrate would have run on that fleet.
  it('keeps an existing tenants.json and writes no starter tenant files or migration for it', async () => {
    const dir = project('p-fleet', 'commonjs');
    const fleet = [{ id: 'acme', dialect: 'sqlite', connection: 'data/acme.sqlite' }];
    writeFileSync(join(dir, 'tenants.json'), JSON.stringify(fleet));
    const init = await runCli(['init'], { cwd: dir, env });
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /kept\s+tenants\.json/);
    assert.match(
      init.stdout,
      /not written\s+migrations\/20260101000000_create_accounts\.js: tenants\.json exists/,
    );
    assert.ok(!existsSync(join(dir, 'migrations')), 'no starter migration');
    assert.ok(!existsSync(join(dir, 'tenants')), 'no starter tenant files');
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'tenants.json'), 'utf8')), fleet);
  });
});
