// A CommonJS project (no "type" in package.json) with a knexfile.ts and .js migrations, all requiring one
// helper: under knex's CLI (ts-node's require hook, one require cache) the helper is evaluated once, and
// the migrations see what the knexfile put in it. dbfleet loaded the knexfile through tsx's namespaced
// require and the .js migrations through a plain require — two caches, the helper evaluated twice.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { startCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-shared-cjs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  'package.json': '{ "name": "app", "private": true }',
  'lib/registry.js': `globalThis.registryEvaluations = (globalThis.registryEvaluations || 0) + 1;
module.exports = { seen: [], evaluations: () => globalThis.registryEvaluations };
`,
  'knexfile.ts': `const registry = require('./lib/registry.js');
registry.seen.push('knexfile');
module.exports = {
  client: 'better-sqlite3',
  connection: { filename: './tenant.sqlite' },
  useNullAsDefault: true,
  migrations: { directory: './migrations' },
};
`,
  'migrations/001_a.js': `const registry = require('../lib/registry.js');
exports.up = async (knex) => {
  await knex.schema.createTable('seen', (t) => t.text('v'));
  await knex('seen').insert({ v: JSON.stringify({ seen: registry.seen, evaluations: registry.evaluations() }) });
};
exports.down = (knex) => knex.schema.dropTable('seen');
`,
  'tenants.json': '[{ "id": "t" }]',
};

test('a .js migration shares the module cache of a knexfile.ts: a helper both require is evaluated once', async () => {
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  new Database(join(dir, 'tenant.sqlite')).close();
  const run = await startCli(['migrate', '--tenants', 'tenants.json', '--json'], { cwd: dir }).done;
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const db = new Database(join(dir, 'tenant.sqlite'), { readonly: true });
  try {
    const row = db.prepare('select v from seen').get() as { v: string };
    assert.deepEqual(JSON.parse(row.v), { seen: ['knexfile'], evaluations: 1 });
  } finally {
    db.close();
  }
});
