// A user module (knexfile, migration) is handed to its code exactly as knex's CLI hands it: a CommonJS
// TypeScript file is `require`d (knex: through ts-node), so `__dirname` is its folder and a module the
// knexfile and the migrations share is one module.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { loadMigrations } from '../../src/migration/loader.js';
import type { Migration } from '../../src/migration/types.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-user-modules-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** A fresh project folder with these files. */
function project(files: Record<string, string>): string {
  const dir = join(root, `p${dirs++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** Runs a migration's up against a stand-in knex, returning what the migration wrote on it. */
async function runUp(migration: Migration | undefined): Promise<Record<string, unknown>> {
  const knex: Record<string, unknown> = {};
  await migration?.up(knex as never, { runScript: async () => {} });
  return knex;
}

describe('TypeScript in a CommonJS project', () => {
  const commonjs = JSON.stringify({ name: 'app', private: true });

  it('__dirname and __filename are the file’s own, in the knexfile and in migrations', async () => {
    const dir = project({
      'package.json': commonjs,
      'knexfile.ts': `import * as path from 'path';\nmodule.exports = { client: 'pg', migrations: { directory: path.join(__dirname, 'migrations') } };\n`,
      'migrations/001_paths.ts': `export async function up(knex: any) { knex.dirname = __dirname; knex.filename = __filename; }\nexport async function down() {}\n`,
    });
    const { config } = await loadConfig(undefined, dir);
    assert.deepEqual(config.migrations, { directory: join(dir, 'migrations') });
    const [migration] = await loadMigrations(join(dir, 'migrations'));
    assert.deepEqual(await runUp(migration), {
      dirname: join(dir, 'migrations'),
      filename: join(dir, 'migrations', '001_paths.ts'),
    });
  });

  it('a module the knexfile and the migrations import is evaluated once', async () => {
    const counter = `__dbfleetSharedEvaluations${dirs}`;
    const dir = project({
      'package.json': commonjs,
      'src/registry.ts': `(globalThis as any).${counter} = ((globalThis as any).${counter} ?? 0) + 1;\nexport const seen: string[] = [];\n`,
      'knexfile.ts': `import { seen } from './src/registry';\nseen.push('set up by the knexfile');\nmodule.exports = { client: 'pg' };\n`,
      'migrations/001_a.ts': `import { seen } from '../src/registry';\nexport async function up(knex: any) { knex.seen = [...seen]; }\nexport async function down() {}\n`,
      'migrations/002_b.ts': `import { seen } from '../src/registry';\nexport async function up(knex: any) { knex.seen = [...seen]; }\nexport async function down() {}\n`,
    });
    await loadConfig(undefined, dir);
    const migrations = await loadMigrations(join(dir, 'migrations'));
    for (const migration of migrations)
      assert.deepEqual(await runUp(migration), { seen: ['set up by the knexfile'] }, migration.name);
    assert.equal((globalThis as Record<string, unknown>)[counter], 1);
  });
});

describe('JavaScript in a CommonJS project', () => {
  // knex `require`s it: Node detects ES module syntax in a `.js` file of a package without "type" and
  // hands `require` the module namespace, whose `export default { up, down }` knex does not look into.
  it('ES module syntax is read as require reads it: export default is not looked into', async () => {
    const dir = project({
      'package.json': JSON.stringify({ name: 'app', private: true }),
      'migrations/001_default.js': 'export default { up: async () => {}, down: async () => {} };\n',
      'migrations/002_named.js': 'export async function up() {}\nexport async function down() {}\n',
      'migrations/003_commonjs.js': 'exports.up = async () => {};\nexports.down = async () => {};\n',
    });
    const loaded = await loadMigrations(join(dir, 'migrations'));
    assert.deepEqual(
      loaded.map((m) => [m.name, m.invalid ?? 'valid']),
      [
        ['001_default.js', 'must have both an up and down function'],
        ['002_named.js', 'valid'],
        ['003_commonjs.js', 'valid'],
      ],
    );
  });

  it('a module the knexfile and the migrations require is evaluated once', async () => {
    const counter = `__dbfleetSharedEvaluations${dirs}`;
    const dir = project({
      'package.json': JSON.stringify({ name: 'app', private: true }),
      'registry.js': `globalThis.${counter} = (globalThis.${counter} ?? 0) + 1;\nexports.seen = [];\n`,
      'knexfile.js': `require('./registry').seen.push('set up by the knexfile');\nmodule.exports = { client: 'pg' };\n`,
      'migrations/001_a.js': `const { seen } = require('../registry');\nexports.up = async (knex) => { knex.seen = [...seen]; };\nexports.down = async () => {};\n`,
    });
    await loadConfig(undefined, dir);
    const [migration] = await loadMigrations(join(dir, 'migrations'));
    assert.deepEqual(await runUp(migration), { seen: ['set up by the knexfile'] });
    assert.equal((globalThis as Record<string, unknown>)[counter], 1);
  });
});

// Node keeps a loaded module for the life of the process: an optimization or a knexfile edited after a
// long-lived process loaded it went on running its old code. Refused now, naming the file.
describe('a user module edited after this process loaded it', () => {
  it('an optimization and a knexfile are refused with "restart the process"; line endings are no edit', async () => {
    const dir = project({
      'optimizations/010-analyze.mjs': "export default { kind: 'analyze', name: 'stats' };\n",
      'knexfile.mjs': "export default { client: 'pg' };\n",
    });
    const { loadOptimizations } = await import('../../src/optimization/loader.js');
    await loadOptimizations(join(dir, 'optimizations'));
    await loadConfig(join(dir, 'knexfile.mjs'));
    writeFileSync(
      join(dir, 'optimizations/010-analyze.mjs'),
      "export default { kind: 'analyze', name: 'stats', tables: ['users'] };\n",
    );
    writeFileSync(join(dir, 'knexfile.mjs'), "export default { client: 'pg' };\r\n");
    await assert.rejects(
      loadOptimizations(join(dir, 'optimizations')),
      /010-analyze\.mjs: cannot be loaded: .*010-analyze\.mjs changed since this process first loaded it.*restart the process/s,
    );
    await loadConfig(join(dir, 'knexfile.mjs'));
    writeFileSync(join(dir, 'knexfile.mjs'), "export default { client: 'sqlite3' };\n");
    await assert.rejects(loadConfig(join(dir, 'knexfile.mjs')), /restart the process/);
  });
});
