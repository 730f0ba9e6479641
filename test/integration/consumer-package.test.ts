// The published package, as a consumer gets it: `npm pack` of this repository installed into a fresh
// CommonJS project (what `npm init -y` makes) and a fresh ESM project. There, `npx dbfleet` runs with a
// knex-shaped knexfile.ts and with a dbfleet config, against real SQLite tenants; the library loads
// with require() and import(); --version is dbfleet's, not the project's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { installConsumer, installLike, ownPackage, packRepository } from '../helpers/consumer-install.js';

const work = mkdtempSync(join(tmpdir(), 'dbfleet-consumer-'));
after(() => rmSync(work, { recursive: true, force: true }));

const PROJECTS = [
  { name: 'consumer-cjs', version: '9.9.9', type: 'commonjs' },
  { name: 'consumer-esm', version: '8.8.8', type: 'module' },
] as const;

const MIGRATION = `import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('email').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
`;

// A knex user's knexfile, as knex's own docs write it: nothing dbfleet-specific in it.
const KNEXFILE = `import type { Knex } from 'knex';

const config: { [env: string]: Knex.Config } = {
  development: {
    client: 'better-sqlite3',
    connection: { filename: './db/acme.sqlite' },
    useNullAsDefault: true,
    migrations: { directory: './migrations', tableName: 'knex_migrations' },
  },
};

export default config;
`;

const DBFLEET_CONFIG = `import { defineConfig } from 'dbfleet';

export default defineConfig({
  inventory: [
    { id: 'acme', dialect: 'sqlite', connection: './db/acme.sqlite', tags: ['eu'] },
    { id: 'globex', dialect: 'sqlite', connection: './db/globex.sqlite' },
  ],
  migrations: { directory: './migrations' },
  journal: './.dbfleet/journal.db',
});
`;

/** The folder of the file a module is in, in the project's module system. */
const HERE = { commonjs: '__dirname', module: 'import.meta.dirname' } as const;

/**
 * A knexfile.ts and two .ts migrations that import one registry: under knex's CLI it is one module (one
 * require cache, or one ESM module map under \`--import tsx\`), so the migrations see what the knexfile
 * put in it; and the knexfile finds its migrations through the folder it is in.
 */
function sharedRegistryFiles(type: keyof typeof HERE): Record<string, string> {
  const migration = (n: string) => `import type { Knex } from 'knex';
import { seen } from '../registry';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('seen_${n}', (t) => t.text('v'));
  await knex('seen_${n}').insert({ v: JSON.stringify({ seen, here: ${HERE[type]} }) });
  seen.push('${n}');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('seen_${n}');
}
`;
  return {
    'registry.ts': 'export const seen: string[] = [];\n',
    'tenants.json': '[{ "id": "t" }]',
    'knexfile.ts': `import * as path from 'path';
import { seen } from './registry';

seen.push('knexfile');
export default {
  client: 'better-sqlite3',
  connection: { filename: './tenant.sqlite' },
  useNullAsDefault: true,
  migrations: { directory: path.join(${HERE[type]}, 'migrations') },
};
`,
    'migrations/001_a.ts': migration('a'),
    'migrations/002_b.ts': migration('b'),
  };
}

function sh(command: string, args: string[], cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((settle) => {
    execFile(
      command,
      args,
      { cwd, timeout: 120_000, env: { ...process.env, NODE_ENV: '' } },
      (err, stdout, stderr) =>
        settle({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** `npx dbfleet …`: `--no` so that npx never fetches a package of that name from the registry. */
const npx = (dir: string, ...args: string[]) => sh('npx', ['--no', '--', 'dbfleet', ...args], dir);

function tableNames(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare("select name from sqlite_master where type = 'table' order by name")
      .all()
      .map((r) => (r as { name: string }).name);
  } finally {
    db.close();
  }
}

before(async () => {
  const tarball = await packRepository(work);
  // One tarball, two fresh projects: the first installed by npm ci, the second given the same tree.
  const [first, second] = PROJECTS;
  await installConsumer(join(work, first.name), tarball, first);
  installLike(join(work, second.name), join(work, first.name), tarball, second);
  for (const p of PROJECTS) {
    const dir = join(work, p.name);
    mkdirSync(join(dir, 'migrations'));
    mkdirSync(join(dir, 'db'));
    writeFileSync(join(dir, 'migrations/20240101_create_users.ts'), MIGRATION);
    writeFileSync(join(dir, 'knexfile.ts'), KNEXFILE);
    writeFileSync(join(dir, 'dbfleet.config.ts'), DBFLEET_CONFIG);
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify([{ id: 'acme' }, { id: 'globex', connection: { filename: './db/globex.sqlite' } }]),
    );
    for (const name of ['acme', 'globex']) new Database(join(dir, 'db', `${name}.sqlite`)).close();
  }
});

for (const project of PROJECTS) {
  describe(`installed in a ${project.type} project`, () => {
    const dir = join(work, project.name);

    it("require('dbfleet') and import('dbfleet') load the library, with no warning", async () => {
      const probe = 'typeof d.defineConfig + " " + typeof d.migrate + " " + typeof d.loadConfig';
      const required = await sh(
        process.execPath,
        ['-e', `const d = require('dbfleet'); console.log(${probe})`],
        dir,
      );
      assert.equal(required.code, 0, required.stderr);
      assert.equal(required.stdout.trim(), 'function function function');
      assert.equal(required.stderr, '');
      const imported = await sh(
        process.execPath,
        ['--input-type=module', '-e', `const d = await import('dbfleet'); console.log(${probe})`],
        dir,
      );
      assert.equal(imported.code, 0, imported.stderr);
      assert.equal(imported.stdout.trim(), 'function function function');
      assert.equal(imported.stderr, '');
    });

    it("the engine is its own subpath: 'dbfleet/engine' has runFleet, 'dbfleet' does not", async () => {
      const probe =
        '[typeof e.runFleet, typeof e.Journal, typeof e.buildFleetReport, typeof d.runFleet].join(" ")';
      const load = {
        required: `const e = require('dbfleet/engine'); const d = require('dbfleet'); console.log(${probe})`,
        imported: `const e = await import('dbfleet/engine'); const d = await import('dbfleet'); console.log(${probe})`,
      };
      for (const [how, code] of Object.entries(load)) {
        const args = how === 'imported' ? ['--input-type=module', '-e', code] : ['-e', code];
        const run = await sh(process.execPath, args, dir);
        assert.equal(run.code, 0, run.stderr);
        assert.equal(run.stdout.trim(), 'function function function undefined', how);
        assert.equal(run.stderr, '', how);
      }
    });

    it("npx dbfleet --version prints dbfleet's version, not the project's", async () => {
      const run = await npx(dir, '--version');
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim(), ownPackage.version);
    });

    it('npx dbfleet status / migrate read a knex-shaped knexfile.ts', async () => {
      const status = await npx(dir, 'status', '--tenants', 'tenants.json', '--json');
      assert.equal(status.code, 0, status.stderr);
      const before = JSON.parse(status.stdout) as { tenants: { id: string; pending: string[] }[] };
      assert.deepEqual(
        before.tenants.map((t) => [t.id, t.pending]),
        [
          ['acme', ['20240101_create_users.ts']],
          ['globex', ['20240101_create_users.ts']],
        ],
      );
      const migrate = await npx(dir, 'migrate', '--tenants', 'tenants.json', '--json');
      assert.equal(migrate.code, 0, migrate.stderr);
      const applied = JSON.parse(migrate.stdout) as { tenants: { applied: string[] }[] };
      assert.deepEqual(
        applied.tenants.map((t) => t.applied),
        [['20240101_create_users.ts'], ['20240101_create_users.ts']],
      );
      // acme inherited the knexfile's connection; knex's history table, with dbfleet's checksums beside it.
      for (const table of ['knex_migrations', 'dbfleet_migration_checksums', 'users'])
        assert.ok(tableNames(join(dir, 'db/acme.sqlite')).includes(table), table);
    });

    it('TypeScript migrations see the module the knexfile.ts set up, and their own folder', async () => {
      const shared = join(dir, 'shared');
      for (const [name, text] of Object.entries(sharedRegistryFiles(project.type))) {
        mkdirSync(join(shared, name, '..'), { recursive: true });
        writeFileSync(join(shared, name), text);
      }
      new Database(join(shared, 'tenant.sqlite')).close();
      const migrate = await npx(shared, 'migrate', '--tenants', 'tenants.json', '--json');
      assert.equal(migrate.code, 0, migrate.stdout + migrate.stderr);
      const db = new Database(join(shared, 'tenant.sqlite'), { readonly: true });
      const seen = (n: string) =>
        JSON.parse((db.prepare(`select v from seen_${n}`).get() as { v: string }).v);
      try {
        const here = join(shared, 'migrations');
        assert.deepEqual(seen('a'), { seen: ['knexfile'], here });
        assert.deepEqual(seen('b'), { seen: ['knexfile', 'a'], here });
      } finally {
        db.close();
      }
    });

    it('npx dbfleet status reads a dbfleet config that imports defineConfig from dbfleet', async () => {
      const run = await npx(dir, 'status', '--config', 'dbfleet.config.ts', '--json');
      assert.equal(run.code, 0, run.stderr);
      const report = JSON.parse(run.stdout) as { tenants: { id: string; current: string | null }[] };
      assert.deepEqual(report.tenants.map((t) => [t.id, t.current]).sort(), [
        ['acme', '20240101_create_users.ts'],
        ['globex', '20240101_create_users.ts'],
      ]);
    });
  });
}
