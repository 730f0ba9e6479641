// knex's `migrations.tableName` / `schemaName` on a real PostgreSQL: dbfleet keeps the history exactly
// where knex would, and knex's own API (`knex.migrate.list` on a plain knex instance) agrees with it.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import knexFactory, { type Knex } from 'knex';
import {
  type FleetReport,
  type HistoryOptions,
  migrate,
  rollback,
  status,
  type Tenant,
  type TenantResult,
  validateInventory,
} from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const JS_ONLY = fileURLToPath(new URL('../fixtures/migrations-js/', import.meta.url));
const NAMES = readdirSync(JS_ONLY)
  .filter((n) => n.endsWith('.js'))
  .sort();

const prefix = uniquePrefix('htp');
const db = (label: string) => `${prefix}_${label}`;
const q = queryDatabase;

let dir: string;

function tenants(entries: { id: string; database?: string; schema?: string }[]): Tenant[] {
  return validateInventory(
    entries.map((e) => ({
      id: e.id,
      dialect: 'postgres',
      connection: pgUrl(e.database ?? e.id),
      ...(e.schema ? { schema: e.schema } : {}),
    })),
    'test inventory',
  );
}

function only(report: FleetReport): TenantResult {
  assert.equal(report.tenants.length, 1);
  return report.tenants[0]!;
}

function succeeded(report: FleetReport): TenantResult {
  const r = only(report);
  assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
  return r;
}

/** A plain knex instance, as a knex user has it: knex's own migrator, no dbfleet involved. */
async function withKnex<T>(
  database: string,
  fn: (knex: Knex) => Promise<T>,
  searchPath?: string,
): Promise<T> {
  const knex = knexFactory({
    client: 'pg',
    connection: pgUrl(database),
    ...(searchPath ? { searchPath: [searchPath] } : {}),
  });
  try {
    return await fn(knex);
  } finally {
    await knex.destroy();
  }
}

/** What knex's `migrate:list` sees: completed and pending names. */
async function knexList(
  database: string,
  history: HistoryOptions,
  searchPath?: string,
): Promise<{ completed: string[]; pending: string[] }> {
  return withKnex(
    database,
    async (knex) => {
      const [completed, pending] = (await knex.migrate.list({ ...history, directory: dir })) as [
        { name: string }[],
        { file: string }[],
      ];
      return { completed: completed.map((c) => c.name), pending: pending.map((p) => p.file) };
    },
    searchPath,
  );
}

async function tablesIn(database: string, schema: string): Promise<Set<string>> {
  const rows = await q<{ table_name: string }>(
    database,
    'select table_name from information_schema.tables where table_schema = $1',
    [schema],
  );
  return new Set(rows.map((r) => r.table_name));
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

describe('history in the knexfile’s own table (PostgreSQL)', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-history-pg-'));
    cpSync(JS_ONLY, dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    await createDatabases(['custom', 'quoted', 'shared', 'nope', 'long'].map(db));
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('tableName + schemaName: migrate, status and rollback use them, and knex agrees', async () => {
    const id = db('custom');
    const history = { tableName: 'app_migrations', schemaName: 'app' };
    // knex does not create schemaName; a knex user has it already.
    await q(id, 'create schema app');
    const fleet = tenants([{ id }]);

    // Read-only status creates nothing and sees nothing applied.
    assert.deepEqual(
      (succeeded(await status({ tenants: fleet, migrations: dir, history })).details as { pending: string[] })
        .pending,
      NAMES,
    );
    assert.deepEqual(await tablesIn(id, 'app'), new Set());

    assert.deepEqual(
      (
        succeeded(await migrate({ tenants: fleet, migrations: dir, history })).details as {
          applied: string[];
        }
      ).applied,
      NAMES,
    );
    // Exactly where knex keeps them: app.app_migrations and app.app_migrations_lock, checksums beside.
    assert.deepEqual(
      await tablesIn(id, 'app'),
      new Set(['app_migrations', 'app_migrations_lock', 'app_migrations_dbfleet_checksums']),
    );
    const publicTables = await tablesIn(id, 'public');
    for (const t of ['knex_migrations', 'knex_migrations_lock', 'dbfleet_migration_checksums'])
      assert.ok(!publicTables.has(t), `public got ${t}`);
    assert.ok(publicTables.has('widgets'), 'the migrations themselves ran in the search_path');
    assert.deepEqual(await q(id, 'select is_locked from app.app_migrations_lock'), [{ is_locked: 0 }]);
    assert.deepEqual(
      (await q<{ n: number }>(id, 'select count(*)::int as n from app.app_migrations_dbfleet_checksums'))[0]!
        .n,
      3,
    );
    assert.deepEqual(await knexList(id, history), { completed: NAMES, pending: [] });

    // status agrees; without the option it reads knex's default table, which does not exist here.
    const st = succeeded(await status({ tenants: fleet, migrations: dir, history })).details as {
      current: string;
      pending: string[];
    };
    assert.equal(st.current, NAMES[2]);
    assert.deepEqual(st.pending, []);

    // rollback --to the first: knex sees one completed, two pending.
    const rb = succeeded(await rollback({ tenants: fleet, migrations: dir, history, to: NAMES[0] }));
    assert.deepEqual((rb.details as { applied: string[] }).applied, [NAMES[2], NAMES[1]]);
    assert.deepEqual(await knexList(id, history), { completed: [NAMES[0]], pending: NAMES.slice(1) });
    assert.ok(!(await tablesIn(id, 'public')).has('gadgets'));

    // knex applies the rest itself; dbfleet's status agrees and migrate adopts them, recording checksums.
    await withKnex(id, (knex) => knex.migrate.latest({ ...history, directory: dir }));
    const after = succeeded(await status({ tenants: fleet, migrations: dir, history })).details as {
      current: string;
      pending: string[];
      problems: string[];
    };
    assert.deepEqual([after.current, after.pending, after.problems], [NAMES[2], [], []]);
    succeeded(await migrate({ tenants: fleet, migrations: dir, history }));
    assert.deepEqual(
      await q(id, 'select name, source from app.app_migrations_dbfleet_checksums order by name'),
      [
        { name: NAMES[0], source: 'applied' },
        { name: NAMES[1], source: 'adopted' },
        { name: NAMES[2], source: 'adopted' },
      ],
    );
    assert.deepEqual(
      await q(id, 'select name, batch from app.app_migrations order by id'),
      NAMES.map((name, i) => ({ name, batch: i === 0 ? 1 : 2 })),
    );
  });

  it('schemaName wins over a tenant schema for the history; the tenant schema keeps the tables', async () => {
    const id = db('shared');
    await q(id, 'create schema meta');
    const history = { tableName: 'tenant_history', schemaName: 'meta' };
    const fleet = tenants([{ id: 'acme', database: id, schema: 'acme' }]);
    succeeded(await migrate({ tenants: fleet, migrations: dir, history }));

    assert.deepEqual(
      await tablesIn(id, 'meta'),
      new Set(['tenant_history', 'tenant_history_lock', 'tenant_history_dbfleet_checksums']),
    );
    assert.deepEqual(await tablesIn(id, 'acme'), new Set(['widgets', 'gadgets']));
    // knex configured the same way (searchPath = the tenant schema, schemaName = meta) sees it all applied.
    assert.deepEqual(await knexList(id, history, 'acme'), { completed: NAMES, pending: [] });

    // Two tenants of one database would share meta.tenant_history: refused before anything runs.
    const two = tenants([
      { id: 'acme', database: id, schema: 'acme' },
      { id: 'globex', database: id, schema: 'globex' },
    ]);
    await assert.rejects(migrate({ tenants: two, migrations: dir, history }), (err: Error) => {
      assert.equal(err.name, 'UsageError');
      assert.match(err.message, /acme, globex share database/);
      return true;
    });
    assert.ok(
      !(await q(id, "select 1 from pg_namespace where nspname = 'globex'")).length,
      'globex untouched',
    );
  });

  it('quotes the names: a table name with a quote, capitals and a space', async () => {
    const id = db('quoted');
    const history = { tableName: 'Mig"ra tions' };
    const fleet = tenants([{ id }]);
    succeeded(await migrate({ tenants: fleet, migrations: dir, history, to: NAMES[1] }));
    assert.deepEqual(
      await tablesIn(id, 'public'),
      new Set(['Mig"ra tions', 'Mig"ra tions_lock', 'Mig"ra tions_dbfleet_checksums', 'widgets']),
    );
    assert.deepEqual(await knexList(id, history), { completed: NAMES.slice(0, 2), pending: [NAMES[2]] });
    succeeded(await migrate({ tenants: fleet, migrations: dir, history }));
    assert.deepEqual(
      (await q<{ name: string }>(id, `select name from ${ident('Mig"ra tions')} order by id`)).map(
        (r) => r.name,
      ),
      NAMES,
    );
  });

  it('a schemaName that does not exist is not created (as in knex): the tenant fails, nothing applied', async () => {
    const id = db('nope');
    const fleet = tenants([{ id }]);
    const history = { schemaName: 'missing_schema' };
    const r = only(await migrate({ tenants: fleet, migrations: dir, history }));
    assert.equal(r.status, 'failed');
    assert.match(r.error!.message, /missing_schema/);
    assert.deepEqual(await tablesIn(id, 'public'), new Set());
    // Read-only status: nothing applied, nothing created, no error.
    const st = succeeded(await status({ tenants: fleet, migrations: dir, history })).details as {
      pending: string[];
    };
    assert.deepEqual(st.pending, NAMES);
  });

  it('refuses names PostgreSQL would truncate, or knex would misread (usage error, nothing created)', async () => {
    const id = db('long');
    const fleet = tenants([{ id }]);
    const refusals: [HistoryOptions, RegExp][] = [
      // 41 bytes: the checksum table's key "<t>_dbfleet_checksums_pkey" would be 64, and PostgreSQL
      // would cut it to a name that collides with the table itself.
      [{ tableName: 'h'.repeat(41) }, /use at most 40/],
      [{ schemaName: 'é'.repeat(32) }, /64 bytes/],
      [{ tableName: '' }, /non-empty/],
      [{ tableName: 'app.migrations' }, /schemaName/],
      [{ tableName: 'migrations?' }, /bind parameter/],
    ];
    for (const [history, message] of refusals) {
      await assert.rejects(migrate({ tenants: fleet, migrations: dir, history }), (err: Error) => {
        assert.equal(err.name, 'UsageError', err.message);
        assert.match(err.message, message);
        return true;
      });
    }
    assert.deepEqual(await tablesIn(id, 'public'), new Set());
    // 40 bytes is fine: every name fits.
    const longest = 'h'.repeat(40);
    succeeded(await migrate({ tenants: fleet, migrations: dir, history: { tableName: longest } }));
    assert.deepEqual(
      await tablesIn(id, 'public'),
      new Set([longest, `${longest}_lock`, `${longest}_dbfleet_checksums`, 'widgets', 'gadgets']),
    );
    assert.deepEqual(await knexList(id, { tableName: longest }), { completed: NAMES, pending: [] });
  });
});
