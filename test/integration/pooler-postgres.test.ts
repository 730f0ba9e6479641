// Through PgBouncer, dbfleet's session either could not connect (PgBouncer refuses the start-up
// `options` that carry its lock and statement timeouts: a bare FAILED "unsupported startup parameter"),
// or — with `ignore_startup_parameters = options`, a common setting — connected and ran every migration
// with no lock timeout at all, its session-level lock on a pooled server connection. Both are now
// POOLED_CONNECTION before anything runs, with what to do instead (connect to the server directly).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { loadMigrations, migrate, status, validateInventory } from '../../src/index.js';
import { type Bouncer, pgbouncerInstalled, startPgbouncer } from '../helpers/pgbouncer.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('pooler');
const db = `${prefix}_t`;
const installed = pgbouncerInstalled();
let dir: string;
const bouncers: Bouncer[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-pooler-'));
  // The migration records the timeouts it ran under: what a pooler dropping them would change.
  writeFileSync(
    join(dir, '001_t.js'),
    `exports.up = async (k) => {
  await k.schema.createTable('t', (t) => { t.increments(); t.string('lock_timeout'); });
  await k('t').insert({ lock_timeout: (await k.raw("select current_setting('lock_timeout') as v")).rows[0].v });
};
exports.down = (k) => k.schema.dropTable('t');
`,
  );
  await createDatabases([db]);
});

after(async () => {
  for (const b of bouncers) await b.stop();
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

async function query<T>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: pgUrl(db) });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function migrateAt(port?: number, knex?: object) {
  const url = new URL(pgUrl(db));
  if (port !== undefined) url.port = String(port);
  const tenants = validateInventory(
    [{ id: 'acme', dialect: 'postgres', connection: url.toString() }],
    'test',
  );
  const report = await migrate({
    tenants,
    migrations: await loadMigrations(dir),
    ...(knex ? { knex } : {}),
  } as never);
  return report.tenants[0]!;
}

const migrated = async () =>
  (await query<{ there: boolean }>(`select to_regclass('public.t') is not null as there`))[0]?.there;

describe('a tenant behind PgBouncer (transaction pooling)', {
  skip: !installed && 'pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)',
}, () => {
  it('PgBouncer refusing the start-up options: POOLED_CONNECTION saying what to do, nothing run', async () => {
    const bouncer = await startPgbouncer({ ignoreOptions: false });
    bouncers.push(bouncer);
    const result = await migrateAt(bouncer.port);
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'POOLED_CONNECTION', JSON.stringify(result.error));
    assert.match(result.error!.message, /unsupported startup parameter.*PostgreSQL server itself/);
    assert.equal(await migrated(), false);
  });

  it('PgBouncer dropping them (ignore_startup_parameters): refused before the migration runs without a lock timeout', async () => {
    const bouncer = await startPgbouncer({ ignoreOptions: true });
    bouncers.push(bouncer);
    const result = await migrateAt(bouncer.port);
    assert.equal(result.error?.code, 'POOLED_CONNECTION', JSON.stringify(result));
    assert.match(result.error!.message, /lock_timeout 5000 ms .* applied 0 ms/);
    assert.equal(await migrated(), false);
  });

  // A schema tenant's session SETs its search_path when it opens: in transaction mode the SET stays on a
  // server connection the next statement may not get, which would then read another schema's history.
  // Its read-back goes with that SET, so even a read-only pass refuses it.
  it('a schema tenant behind it is refused by a read-only status too', async () => {
    const bouncer = bouncers.at(-1)!;
    const url = new URL(pgUrl(db));
    url.port = String(bouncer.port);
    const tenants = validateInventory(
      [{ id: 'acme-schema', dialect: 'postgres', connection: url.toString(), schema: 'acme' }],
      'test',
    );
    const report = await status({ tenants, migrations: await loadMigrations(dir) });
    assert.equal(report.tenants[0]?.error?.code, 'POOLED_CONNECTION', JSON.stringify(report.tenants[0]));
  });

  it('the same tenant on the server itself migrates, under its lock timeout', async () => {
    const result = await migrateAt();
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    const [row] = await query<{ lock_timeout: string }>('select lock_timeout from t');
    assert.equal(row?.lock_timeout, '5s');
  });

  // The read-back comes before a knexfile's afterCreate: its own SET is the user's, not a pooler's.
  it("on the server itself, a knexfile's afterCreate that sets lock_timeout is not taken for a pooler", async () => {
    const client = new pg.Client({ connectionString: pgUrl(db) });
    await client.connect();
    await client.query(`drop table t; delete from knex_migrations`);
    await client.end();
    const result = await migrateAt(undefined, {
      pool: {
        afterCreate: (conn: pg.Client, done: (err?: Error) => void) =>
          conn.query("set lock_timeout = '1s'").then(() => done(), done),
      },
    });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    const [row] = await query<{ lock_timeout: string }>('select lock_timeout from t');
    assert.equal(row?.lock_timeout, '1s');
  });
});
