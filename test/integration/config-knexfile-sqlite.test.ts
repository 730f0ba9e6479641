// A knex user's knexfile drives dbfleet as it is: its environment, client, connection, migration folders
// and loadExtensions are read (the CLI, from source, against real SQLite tenants); a typo is exit 2
// before anything is touched. (`--version` in a consumer's project: test/integration/consumer-package.test.ts.)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sqliteHistory } from '../helpers/sqlite-history.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/knexfile-environments');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-config-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let projects = 0;

/** A copy of the fixture project (CommonJS, environment-keyed knexfile.js) with empty tenant files. */
function fixtureProject(): string {
  const dir = join(root, `p${projects++}`);
  cpSync(FIXTURE, dir, { recursive: true });
  mkdirSync(join(dir, 'db'));
  for (const name of ['acme', 'globex', 'prod']) new Database(join(dir, 'db', `${name}.sqlite`)).close();
  return dir;
}

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((settle) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/dbfleet.js'), ...args],
      { cwd, env: { ...process.env, NODE_ENV: '', ...env } },
      (err, stdout, stderr) =>
        settle({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('a knex-shaped knexfile', () => {
  it('migrates with its development environment: client, connection, two folders, loadExtensions', async () => {
    const dir = fixtureProject();
    const run = await cli(['migrate', '--tenants', 'tenants.json', '--json'], dir);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { tenants: { id: string; applied: string[] }[] };
    // Sorted across both folders by name; the .ts draft is not loaded (loadExtensions: ['.js']).
    const expected = ['20240101_create_users.js', '20240102_add_email.js', '20240103_create_orders.js'];
    assert.deepEqual(
      report.tenants.map((t) => [t.id, t.applied]),
      [
        ['acme', expected],
        ['globex', expected],
      ],
    );
    assert.deepEqual(sqliteHistory(join(dir, 'db/acme.sqlite')), expected);
    assert.deepEqual(sqliteHistory(join(dir, 'db/globex.sqlite')), expected);
    assert.deepEqual(sqliteHistory(join(dir, 'db/prod.sqlite')), []);
  });

  // knex's CLI runs from the knexfile's folder (`--knexfile app/knexfile.js`: "Working directory changed
  // to …/app"): a knexfile that reads files relative to the working directory (dotenv's `.env`) must find
  // the same ones — from the caller's folder, such a knexfile connected to another database.
  it("--config in another folder runs from that folder, as knex does; path flags stay the caller's", async () => {
    const dir = fixtureProject();
    writeFileSync(join(dir, 'env.json'), JSON.stringify({ tenantFile: './db/globex.sqlite' }));
    writeFileSync(
      join(dir, 'knexfile.js'),
      `const env = JSON.parse(require('fs').readFileSync('env.json', 'utf8'));
module.exports = { client: 'better-sqlite3', connection: { filename: env.tenantFile }, useNullAsDefault: true,
  migrations: { directory: ['./migrations', './migrations-orders'], loadExtensions: ['.js'] } };`,
    );
    writeFileSync(
      join(root, `tenants-${projects}.json`),
      JSON.stringify([{ id: 'g', dialect: 'sqlite', connection: join(dir, 'db/globex.sqlite') }]),
    );
    const run = await cli(
      [
        'migrate',
        '--config',
        `${dir.slice(root.length + 1)}/knexfile.js`,
        '--tenants',
        `tenants-${projects}.json`,
        '--json',
      ],
      root,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(sqliteHistory(join(dir, 'db/globex.sqlite')).length, 3);
  });

  it('--env production takes that environment (and NODE_ENV does the same)', async () => {
    const dir = fixtureProject();
    const byFlag = await cli(
      ['migrate', '--tenants', 'tenants.json', '--tenant', 'acme', '--env', 'production'],
      dir,
    );
    assert.equal(byFlag.code, 0, byFlag.stderr);
    // production's connection is db/prod.sqlite: "acme" inherits it, its development file is untouched.
    assert.equal(sqliteHistory(join(dir, 'db/prod.sqlite')).length, 3);
    assert.deepEqual(sqliteHistory(join(dir, 'db/acme.sqlite')), []);

    const byEnv = await cli(['status', '--tenants', 'tenants.json', '--tenant', 'acme', '--json'], dir, {
      NODE_ENV: 'production',
    });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    const [acme] = (JSON.parse(byEnv.stdout) as { tenants: { current: string; pending: string[] }[] })
      .tenants;
    assert.equal(acme?.current, '20240103_create_orders.js');
    assert.deepEqual(acme?.pending, []);
  });

  it('a misspelt key is exit 2 with a suggestion, and nothing is touched', async () => {
    const dir = fixtureProject();
    const knexfile = join(dir, 'knexfile.js');
    writeFileSync(knexfile, readFileSync(knexfile, 'utf8').replace('useNullAsDefault', 'useNullAsDefualt'));
    const run = await cli(['migrate', '--tenants', 'tenants.json'], dir);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /unknown key "useNullAsDefualt" \(did you mean "useNullAsDefault"\?\)/);
    assert.deepEqual(sqliteHistory(join(dir, 'db/acme.sqlite')), []);
  });
});
