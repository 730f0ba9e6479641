// A migration under dbfleet sees what knex's own migrator hands it, and its nested transactions stay
// inside the migration's transaction — on PostgreSQL and SQLite. Each case was written against the
// pinned-connection code that gave migrations a knex client subclass and a Proxy transaction, and failed
// there (`client.config.client` a class; batchInsert COMMITting early on PostgreSQL, BEGIN inside BEGIN
// on SQLite).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import knexFactory, { type Knex } from 'knex';
import { loadMigrations, migrate, rollback, type Tenant, validateInventory } from '../../src/index.js';
import { runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

/** Records what the migration sees, as JSON, so the test can compare it with knex's own values. */
const SEEN = `
exports.up = async (knex) => {
  await knex.schema.createTable('seen', (t) => { t.text('v'); });
  const c = knex.client;
  const seen = {
    client: c.config.client,
    clientType: typeof c.config.client,
    dialect: c.dialect,
    driverName: c.driverName,
    version: c.version ?? null,
    userParams: knex.userParams,
    isTransaction: knex.isTransaction,
    searchPath: c.config.searchPath ?? null,
    connectionJson: JSON.stringify(c.config.connection),
    hasPassword: Boolean(c.config.connection && c.config.connection.password),
    migrations: c.config.migrations ?? null,
    fn: typeof knex.fn.now, raw: typeof knex.raw, ref: typeof knex.ref, schema: typeof knex.schema.createTable,
  };
  await knex('seen').insert({ v: JSON.stringify(seen) });
};
exports.down = async (knex) => {
  // Real migrations branch on the client string; a class here broke rollback.
  if (knex.client.config.client.includes('sqlite3')) await knex.schema.dropTable('seen');
  else await knex.raw('drop table seen');
};
`;

/** batchInsert, a nested transaction and transacting, then (with FAIL set in the table) a throw. */
const NESTED = `
exports.up = async (knex) => {
  await knex.schema.createTable('items', (t) => { t.integer('n'); });
  await knex.batchInsert('items', Array.from({ length: 25 }, (_, n) => ({ n })), 10);
  await knex.transaction(async (inner) => { await inner('items').insert({ n: 100 }); });
  await knex('items').insert({ n: 101 }).transacting(knex);
  // A nested transaction that fails rolls back to its savepoint; the migration goes on.
  await knex.transaction(async (inner) => {
    await inner('items').insert({ n: 102 });
    throw new Error('inner only');
  }).catch(() => {});
  const fail = await knex('control').where({ k: 'fail' }).first();
  if (fail) throw new Error('boom after batchInsert');
};
exports.down = async (knex) => knex.schema.dropTable('items');
`;

/** What a plain knex sets client.version to once it has used a connection (PostgreSQL: the server's). */
async function plainKnexVersion(config: Knex.Config): Promise<unknown> {
  const knex = knexFactory(config);
  try {
    await knex.raw('select 1');
    return knex.client.version ?? null;
  } finally {
    await knex.destroy();
  }
}

function writeFolder(dir: string): string {
  const migrations = join(dir, 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(
    join(migrations, '001_control.js'),
    `
exports.up = (knex) => knex.schema.createTable('control', (t) => { t.text('k'); });
exports.down = (knex) => knex.schema.dropTable('control');
`,
  );
  writeFileSync(join(migrations, '002_seen.js'), SEEN);
  writeFileSync(join(migrations, '003_nested.js'), NESTED);
  return migrations;
}

interface Probe {
  /** Runs one statement with a connection of its own (the test's, not dbfleet's). */
  exec(sql: string): Promise<void>;
  tables(): Promise<string[]>;
  history(): Promise<string[]>;
  query<T>(sql: string): Promise<T[]>;
}

function dialectCases(): {
  name: string;
  setup(dir: string): Promise<{ tenant: Tenant; probe: Probe; cleanup(): Promise<void> }>;
  expected: Record<string, unknown>;
  /** client.version as knex's own migrator leaves it, from a plain knex over the same database. */
  knexOwnVersion(tenant: Tenant): Promise<unknown>;
}[] {
  return [
    {
      name: 'PostgreSQL',
      expected: { client: 'pg', dialect: 'postgresql', driverName: 'pg' },
      knexOwnVersion: (tenant) => plainKnexVersion({ client: 'pg', connection: tenant.connection }),
      async setup() {
        const prefix = uniquePrefix('fidelity');
        const db = `${prefix}_a`;
        await createDatabases([db]);
        const url = new URL(pgUrl(db));
        // A password on the connection: the migration must see it hidden, as knex hides it.
        url.password = 'not-needed-with-trust';
        const [tenant] = validateInventory(
          [{ id: 'pg-a', dialect: 'postgres', connection: url.toString() }],
          'test',
        );
        const query = <T>(sql: string) => queryDatabase<T>(db, sql);
        return {
          tenant: tenant!,
          probe: {
            query,
            exec: async (sql) => void (await query(sql)),
            async tables() {
              const rows = await query<{ t: string }>(
                "select tablename as t from pg_tables where schemaname = 'public' order by 1",
              );
              return rows.map((r) => r.t);
            },
            async history() {
              return (await query<{ name: string }>('select name from knex_migrations order by id')).map(
                (r) => r.name,
              );
            },
          },
          cleanup: () => dropDatabases(prefix),
        };
      },
    },
    {
      name: 'SQLite',
      expected: { client: 'better-sqlite3', dialect: 'sqlite3', driverName: 'better-sqlite3' },
      knexOwnVersion: (tenant) =>
        plainKnexVersion({
          client: 'better-sqlite3',
          connection: { filename: tenant.database },
          useNullAsDefault: true,
        }),
      async setup(dir: string) {
        const file = join(dir, 'a.sqlite');
        new Database(file).close();
        const [tenant] = validateInventory([{ id: 'sqlite-a', dialect: 'sqlite', connection: file }], 'test');
        const query = async <T>(sql: string) => {
          const db = new Database(file, { readonly: true });
          try {
            return db.prepare(sql).all() as T[];
          } finally {
            db.close();
          }
        };
        return {
          tenant: tenant!,
          probe: {
            query,
            exec: async (sql) => {
              const db = new Database(file);
              try {
                db.exec(sql);
              } finally {
                db.close();
              }
            },
            async tables() {
              const rows = await query<{ t: string }>(
                "select name as t from sqlite_master where type = 'table' and name not like 'sqlite_%' order by 1",
              );
              return rows.map((r) => r.t);
            },
            async history() {
              return (await query<{ name: string }>('select name from knex_migrations order by id')).map(
                (r) => r.name,
              );
            },
          },
          cleanup: async () => {},
        };
      },
    },
  ];
}

for (const dialect of dialectCases()) {
  describe(`knex fidelity on ${dialect.name}`, () => {
    let dir: string;
    let tenant: Tenant;
    let probe: Probe;
    let cleanup: () => Promise<void>;
    let migrationsDir: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dbfleet-fidelity-'));
      migrationsDir = writeFolder(dir);
      ({ tenant, probe, cleanup } = await dialect.setup(dir));
    });
    after(async () => {
      await cleanup();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a migration that batchInserts and nests transactions, then throws, leaves nothing of itself', async () => {
      const migrations = await loadMigrations(migrationsDir);
      const first = await migrate({ tenants: [tenant], migrations, to: '001_control.js' });
      assert.equal(first.ok, true, JSON.stringify(first.tenants));
      // Ask the nested migration to throw at its end.
      await probe.exec("insert into control (k) values ('fail')");

      const report = await migrate({ tenants: [tenant], migrations });
      const result = report.tenants[0]!;
      assert.equal(result.status, 'failed');
      assert.match(result.error?.message ?? '', /003_nested\.js: boom after batchInsert/);
      assert.deepEqual(await probe.history(), ['001_control.js', '002_seen.js']);
      assert.ok(!(await probe.tables()).includes('items'), 'the failed migration left its table behind');

      await probe.exec('delete from control');
      const rerun = await migrate({ tenants: [tenant], migrations });
      assert.equal(rerun.ok, true, JSON.stringify(rerun.tenants));
      const rows = await probe.query<{ n: number }>('select n from items order by n');
      assert.deepEqual(
        rows.map((r) => Number(r.n)),
        [...Array.from({ length: 25 }, (_, n) => n), 100, 101],
        'batchInsert, the nested transaction and transacting committed with the migration; the failed inner one did not',
      );
    });

    it('sees the configured client string and the rest of what knex hands a migration', async () => {
      const [row] = await probe.query<{ v: string }>('select v from seen');
      const seen = JSON.parse(row!.v) as Record<string, unknown>;
      assert.deepEqual(
        { client: seen.client, dialect: seen.dialect, driverName: seen.driverName },
        dialect.expected,
      );
      assert.equal(seen.clientType, 'string');
      // knex asks a PostgreSQL server its version ('15.15'); a made-up '12' misled version branches.
      assert.equal(seen.version, await dialect.knexOwnVersion(tenant));
      // What knex's migrator leaves there: it switches the knexfile's identifier/response processing on.
      assert.deepEqual(seen.userParams, { isProcessingDisabled: false });
      assert.equal(seen.isTransaction, true);
      assert.deepEqual(
        [seen.fn, seen.raw, seen.ref, seen.schema],
        ['function', 'function', 'function', 'function'],
      );
      assert.doesNotMatch(String(seen.connectionJson), /not-needed-with-trust|password/);
      assert.equal(seen.hasPassword, false, 'the password is not on client.config.connection');
    });

    it('rolls back to zero through migrations that branch on the client string', async () => {
      const migrations = await loadMigrations(migrationsDir);
      for (let i = 0; i < 3; i++) {
        const report = await rollback({ tenants: [tenant], migrations });
        assert.equal(report.ok, true, JSON.stringify(report.tenants));
      }
      assert.deepEqual(await probe.history(), []);
      assert.ok(!(await probe.tables()).includes('seen'));
    });

    // knex settles its transaction at a COMMIT the migration runs itself: dbfleet's history write after
    // it failed unseen, and the migration was reported applied, unrecorded, and ran again next time.
    it('a migration that commits its own transaction fails, is not recorded, and says why', async () => {
      const folder = join(dir, 'self-commit');
      mkdirSync(folder);
      writeFileSync(
        join(folder, '001_accounts.js'),
        `exports.up = async (knex) => {
  await knex.schema.createTable('accounts', (t) => { t.string('id').primary(); t.integer('credit').notNullable(); });
  await knex('accounts').insert({ id: 'acme', credit: 100 });
};
exports.down = (knex) => knex.schema.dropTable('accounts');`,
      );
      writeFileSync(
        join(folder, '002_bonus.js'),
        `exports.up = async (knex) => {
  await knex('accounts').increment('credit', 10);
  await knex.commit();
};
exports.down = (knex) => knex('accounts').decrement('credit', 10);`,
      );
      const migrations = await loadMigrations(folder);
      const report = await migrate({ tenants: [tenant], migrations });
      const result = report.tenants[0]!;
      assert.equal(result.status, 'failed', JSON.stringify(result));
      assert.equal(result.error?.code, 'TRANSACTION_ENDED');
      assert.match(result.error?.message ?? '', /002_bonus\.js committed or rolled back its own transaction/);
      assert.deepEqual((result.details as { applied: string[] }).applied, ['001_accounts.js']);
      assert.deepEqual(await probe.history(), ['001_accounts.js'], 'recorded as knex would: not at all');
      const [row] = await probe.query<{ credit: number }>("select credit from accounts where id = 'acme'");
      assert.equal(Number(row!.credit), 110, 'what it committed itself stays, as under knex');
      await probe.exec('drop table accounts');
      await probe.exec("delete from knex_migrations where name = '001_accounts.js'");
    });
  });
}

// A knexfile's own settings reach the migration as under knex: the client name as written, its
// `migrations` block, its searchPath (in effect on the connection, not just reported).
describe('knex fidelity: a knexfile’s settings through the CLI (PostgreSQL)', () => {
  const prefix = uniquePrefix('fidelity_kf');
  const db = `${prefix}_a`;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-fidelity-kf-'));
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    writeFileSync(join(migrations, '001_seen.js'), SEEN);
    // knex warns about createTableIfNotExists through the knexfile's logger.
    writeFileSync(
      join(migrations, '002_legacy.js'),
      `exports.up = (knex) => knex.schema.createTableIfNotExists('legacy', (t) => { t.increments(); });
exports.down = (knex) => knex.schema.dropTable('legacy');
`,
    );
    await createDatabases([db]);
    await queryDatabase(db, 'create schema app');
    writeFileSync(
      join(dir, 'knexfile.js'),
      `module.exports = {
  client: 'postgresql',
  connection: ${JSON.stringify(pgUrl(db))},
  searchPath: ['app', 'public'],
  migrations: { directory: './migrations', tableName: 'app_migrations' },
  log: { warn: (message) => require('node:fs').appendFileSync(__dirname + '/warnings.log', message + '\\n') },
};
`,
    );
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify([{ id: 'a', dialect: 'postgres', connection: pgUrl(db) }]),
    );
  });
  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the migration sees client "postgresql", the migrations block and the searchPath, which is in effect', async () => {
    const run = await runCli(['migrate', '--tenants', 'tenants.json', '--journal', 'journal.db', '--json'], {
      cwd: dir,
    });
    assert.equal(run.code, 0, run.stderr + run.stdout);
    const [row] = await queryDatabase<{ v: string }>(db, 'select v from app.seen');
    const seen = JSON.parse(row!.v) as Record<string, unknown>;
    assert.equal(seen.client, 'postgresql');
    assert.deepEqual(seen.searchPath, ['app', 'public']);
    assert.deepEqual(seen.migrations, { directory: './migrations', tableName: 'app_migrations' });
    // Unqualified, as knex creates it: in the first schema of the search_path.
    const history = await queryDatabase<{ name: string }>(db, 'select name from app.app_migrations');
    assert.deepEqual(
      history.map((r) => r.name),
      ['001_seen.js', '002_legacy.js'],
    );
    // The knexfile's logger got knex's own warning, as under knex (dbfleet had silenced it).
    assert.match(readFileSync(join(dir, 'warnings.log'), 'utf8'), /Use async \.hasTable/);
  });
});

// A knexfile's wrapIdentifier / postProcessResponse apply to the migration's queries and not to dbfleet's
// own (the history), as knex's migrator switches them (enableProcessing / disableProcessing).
describe('knex fidelity: wrapIdentifier and postProcessResponse (SQLite, through the CLI)', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-fidelity-wrap-'));
    const migrations = join(dir, 'migrations');
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '001_accounts.js'),
      `exports.up = async (knex) => {
  await knex.schema.createTable('userAccounts', (t) => { t.increments('id'); t.string('emailAddress'); });
  await knex('userAccounts').insert({ emailAddress: 'a@x' });
  const [row] = await knex('userAccounts').select('emailAddress');
  // postProcessResponse camel-cases keys: the migration reads back what it wrote, as under knex.
  if (row.emailAddress !== 'a@x') throw new Error('processing off in the migration: ' + JSON.stringify(row));
  await knex.schema.createTableIfNotExists('legacyThings', (t) => { t.increments('id'); });
};
exports.down = (knex) => knex.schema.dropTable('userAccounts');
`,
    );
    writeFileSync(
      join(dir, 'knexfile.js'),
      `const snake = (s) => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const camelRow = (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [camel(k), v]));
module.exports = {
  client: 'better-sqlite3',
  connection: { filename: './a.sqlite' },
  useNullAsDefault: true,
  migrations: { directory: './migrations' },
  wrapIdentifier: (value, origImpl) => origImpl(value === '*' ? value : snake(value)),
  postProcessResponse: (result) =>
    Array.isArray(result) ? result.map((r) => (r && typeof r === 'object' ? camelRow(r) : r)) : result,
  log: { warn: (message) => require('node:fs').appendFileSync(__dirname + '/warnings.log', message + '\\n') },
};
`,
    );
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(join(dir, 'tenants.json'), JSON.stringify([{ id: 'a' }]));
    // dbfleet does not create a missing tenant file (knex would): it is there, empty.
    new Database(join(dir, 'a.sqlite')).close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the migration’s tables are snake_cased, the history is knex’s own, a rerun finds nothing to do', async () => {
    const args = ['--tenants', 'tenants.json', '--journal', 'journal.db', '--json'];
    const first = await runCli(['migrate', ...args], { cwd: dir });
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const db = new Database(join(dir, 'a.sqlite'), { readonly: true });
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table' order by 1").all();
      assert.ok(tables.some((t) => (t as { name: string }).name === 'user_accounts'));
      const columns = db.prepare('pragma table_info(user_accounts)').all() as { name: string }[];
      assert.deepEqual(
        columns.map((c) => c.name),
        ['id', 'email_address'],
      );
      const history = db.prepare('select name, batch from knex_migrations').all();
      assert.deepEqual(history, [{ name: '001_accounts.js', batch: 1 }]);
      // knex's createTableIfNotExists warning reached the knexfile's logger, as under knex.
      assert.match(readFileSync(join(dir, 'warnings.log'), 'utf8'), /Use async \.hasTable/);
    } finally {
      db.close();
    }
    const again = await runCli(['migrate', ...args], { cwd: dir });
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(
      (JSON.parse(again.stdout) as { tenants: { applied: string[] }[] }).tenants[0]!.applied,
      [],
    );
  });
});
