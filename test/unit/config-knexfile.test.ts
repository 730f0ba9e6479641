// A knexfile is a dbfleet configuration: knex's shape (plain or environment-keyed) is read, not ignored;
// keys that are neither dbfleet's nor knex's are refused with a suggestion; a TypeScript config,
// optimization or check in a CommonJS project loads as written.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import { loadOptimizations } from '../../src/optimization/loader.js';
import { loadChecks } from '../../src/upgrade/checks.js';
import { closestMatch } from '../../src/util/suggest.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-config-knexfile-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** A fresh project folder with these files (a package.json makes it CommonJS or ESM). */
function project(files: Record<string, string>): string {
  const dir = join(root, `p${dirs++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

async function usageError(fn: () => unknown): Promise<UsageError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a UsageError, nothing was thrown');
}

describe('unknown keys', () => {
  it('a typo is refused with the key it probably meant', async () => {
    const err = await usageError(() => validateConfig({ inventroy: [] }, 'knexfile.ts'));
    assert.match(err.message, /unknown key "inventroy" \(did you mean "inventory"\?\)/);
  });

  it('every problem is reported at once, nested migration keys too', async () => {
    const err = await usageError(() =>
      validateConfig(
        { concurency: 4, migrations: { directroy: './m', migrationSource: {} }, client: 'mysql2' },
        'knexfile.ts',
      ),
    );
    assert.match(err.message, /"concurency" \(did you mean "concurrency"\?\)/);
    assert.match(err.message, /"migrations\.directroy" \(did you mean "migrations\.directory"\?\)/);
    assert.match(err.message, /migrations\.migrationSource: .*not supported/);
    assert.match(err.message, /client: "mysql2" is not a database dbfleet drives/);
  });

  it('a word far from every key gets no suggestion', () => {
    assert.equal(closestMatch('zzzzzz', ['inventory', 'journal']), undefined);
    assert.equal(closestMatch('perhost', ['perHost', 'journal']), 'perHost');
  });

  it("knex's own keys and dbfleet's keys can share one file", () => {
    const config = validateConfig(
      {
        client: 'pg',
        connection: 'postgres://app@db1/app',
        pool: { min: 0, max: 1 },
        seeds: { directory: './seeds' },
        searchPath: ['public'],
        useNullAsDefault: true,
        debug: false,
        asyncStackTraces: true,
        acquireConnectionTimeout: 10_000,
        postProcessResponse: (r: unknown) => r,
        wrapIdentifier: (v: string, impl: (v: string) => string) => impl(v),
        version: '16',
        migrations: {
          directory: ['./migrations', './more'],
          tableName: 'app_migrations',
          schemaName: 'ops',
          extension: 'ts',
          loadExtensions: ['.js'],
          sortDirsSeparately: false,
          disableMigrationsListValidation: false,
        },
        inventory: [{ id: 'acme' }],
        concurrency: 4,
      },
      'knexfile.ts',
    );
    assert.deepEqual(config.migrations, {
      directory: ['./migrations', './more'],
      tableName: 'app_migrations',
      schemaName: 'ops',
      extension: 'ts',
      loadExtensions: ['.js'],
      sortDirsSeparately: false,
      disableMigrationsListValidation: false,
    });
  });
});

describe('environment-keyed knexfiles', () => {
  const file = {
    inventory: { file: './tenants.json' },
    development: { client: 'better-sqlite3', connection: { filename: './dev.sqlite' } },
    production: { client: 'pg', connection: 'postgres://app@db1/app', migrations: { tableName: 'm' } },
  };

  it('picks `development` by default, NODE_ENV otherwise, --env over both; shared keys apply to each', async () => {
    const saved = process.env.NODE_ENV;
    try {
      delete process.env.NODE_ENV;
      assert.equal(validateConfig(file, 'k').client, 'better-sqlite3');
      process.env.NODE_ENV = 'production';
      const production = validateConfig(file, 'k');
      assert.equal(production.client, 'pg');
      assert.deepEqual(production.migrations, { tableName: 'm' });
      assert.deepEqual(production.inventory, { file: './tenants.json' });
      assert.equal(validateConfig(file, 'k', { env: 'development' }).client, 'better-sqlite3');
    } finally {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    }
  });

  it('an environment the file does not have is an error naming the ones it has', async () => {
    const err = await usageError(() => validateConfig(file, 'k', { env: 'staging' }));
    assert.match(err.message, /no "staging" environment \(--env\); it has development, production/);
  });
});

describe('knex client and connection become tenant defaults', () => {
  it('maps the client to a dialect and resolves a SQLite filename against the knexfile', async () => {
    const dir = project({
      'knexfile.js': `export default { client: 'sqlite3', connection: { filename: './db/app.sqlite' } };`,
      'package.json': '{ "type": "module" }',
    });
    const loaded = await loadConfig(undefined, dir);
    assert.deepEqual(loaded.tenantDefaults, {
      dialect: 'sqlite',
      connection: { filename: join(dir, 'db/app.sqlite') },
    });
  });

  it('calls a connection function once, as knex allows', async () => {
    const dir = project({
      'knexfile.mjs': `export default { client: 'postgresql', connection: async () => 'postgres://app@db9/app' };`,
    });
    const loaded = await loadConfig(undefined, dir);
    assert.deepEqual(loaded.tenantDefaults, { dialect: 'postgres', connection: 'postgres://app@db9/app' });
  });
});

describe('CommonJS projects', () => {
  const commonjs = JSON.stringify({ name: 'app', version: '1.0.0', type: 'commonjs' });

  it('a knexfile.ts with `export default` loads (it used to come back as { default: … })', async () => {
    const dir = project({
      'package.json': commonjs,
      'knexfile.ts': `const config = { client: 'better-sqlite3', migrations: { directory: './db/migrations' } };\nexport default config;\n`,
    });
    const loaded = await loadConfig(undefined, dir);
    assert.deepEqual(loaded.config.migrations, { directory: './db/migrations' });
    assert.equal(loaded.tenantDefaults?.dialect, 'sqlite');
  });

  it('a knexfile.js with module.exports loads, environment-keyed', async () => {
    const dir = project({
      'package.json': commonjs,
      'knexfile.js': `module.exports = { development: { client: 'pg', connection: 'postgres://app@h/app' } };\n`,
    });
    const loaded = await loadConfig(undefined, dir, { env: 'development' });
    assert.equal(loaded.environment, 'development');
    assert.equal(loaded.config.client, 'pg');
  });

  it('a config file that exists but cannot load is an error with the reason, not an empty config', async () => {
    const dir = project({ 'package.json': commonjs, 'knexfile.ts': 'export default {\n' });
    const err = await usageError(() => loadConfig(undefined, dir));
    assert.match(err.message, /cannot load the configuration .*knexfile\.ts/);
  });

  it('optimizations and checks written in TypeScript load', async () => {
    const dir = project({
      'package.json': commonjs,
      'optimizations/010-analyze.ts': `export default { kind: 'analyze', name: 'stats' };\n`,
      'checks/010-users.ts': `export default { name: 'users', sql: 'select 1' };\n`,
    });
    const optimizations = await loadOptimizations(join(dir, 'optimizations'));
    assert.deepEqual(
      optimizations.map((o) => [o.definition.kind, o.definition.name]),
      [['analyze', 'stats']],
    );
    const checks = await loadChecks(undefined, join(dir, 'checks'));
    assert.deepEqual(checks, [{ name: 'users', sql: 'select 1' }]);
  });
});
