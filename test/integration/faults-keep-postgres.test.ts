// Faults that dbfleet already survived, kept as tests: a migration stuck behind another session's lock
// gives up at lock_timeout without keeping readers waiting past it, and a backend the server terminates
// fails only its own tenant.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { loadMigrations, migrate, optimize, type Tenant, validateInventory } from '../../src/index.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('keep');
const ids = ['a', 'b', 'c'];
const dbOf = (id: string) => `${prefix}_${id}`;
let dir: string;
let fleet: Tenant[];

function folder(name: string, files: Record<string, string>): string {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return path;
}

describe('faults dbfleet keeps surviving (PostgreSQL)', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-keep-'));
    await createDatabases(ids.map(dbOf));
    fleet = validateInventory(
      ids.map((id) => ({ id, dialect: 'postgres', connection: pgUrl(dbOf(id)) })),
      'test',
    );
    const base = await loadMigrations(
      folder('base', { '001_accounts.sql': 'create table accounts (id int);' }),
    );
    const report = await migrate({ tenants: fleet, migrations: base });
    assert.equal(report.ok, true, JSON.stringify(report.tenants));
  });
  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a migration waiting for a lock gives up at lock_timeout, and readers queued behind it go on while the lock is still held', async () => {
    const migrations = await loadMigrations(
      folder('alter', {
        '001_accounts.sql': 'create table accounts (id int);',
        '002_alter.sql': 'alter table accounts add column email text;',
      }),
    );
    const holder = new pg.Client({ connectionString: pgUrl(dbOf('a')), application_name: 'keep-holder' });
    const reader = new pg.Client({ connectionString: pgUrl(dbOf('a')), application_name: 'keep-reader' });
    await holder.connect();
    await reader.connect();
    try {
      // A long-running reader: its ACCESS SHARE lock makes the ALTER wait.
      await holder.query('begin; select * from accounts');
      const running = migrate({ tenants: [fleet[0]!], migrations, timeouts: { lockTimeoutMs: 1_500 } });
      // The ALTER now waits for the holder; a new reader queues behind the ALTER's lock request.
      await waitFor(
        'the migration waiting for its lock',
        async () =>
          (
            await adminQuery<{ n: number }>(
              "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query ilike 'alter table accounts%'",
            )
          )[0]!.n === 1 || undefined,
        30_000,
      );
      const read = reader.query('select count(*) from accounts');
      const report = await running;
      assert.equal(report.tenants[0]!.error?.code, 'LOCK_TIMEOUT', JSON.stringify(report.tenants));
      // The reader finished although the holder still holds its lock: the migration gave its queue up.
      await read;
      const [still] = await adminQuery<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where application_name = 'keep-holder' and state = 'idle in transaction'",
      );
      assert.equal(still!.n, 1, 'the holder still holds its lock');
    } finally {
      await holder.query('rollback').catch(() => {});
      await holder.end();
      await reader.end();
    }
  });

  // Against the optimizer's own lock code (before it took the shared withTenantLock) this was `failed`.
  it('optimize skips a tenant another runner holds: skipped with LOCKED naming the holder, not failed', async () => {
    const holder = new pg.Client({ connectionString: pgUrl(dbOf('a')), application_name: 'dbfleet-other' });
    await holder.connect();
    try {
      // dbfleet's lock keys for a whole-database tenant: class 'dbf1', hashtext('') (advisory-lock.ts).
      await holder.query("select pg_advisory_lock(1684170289, hashtext(''))");
      const report = await optimize({
        tenants: [fleet[0]!],
        optimizations: [{ name: 'stats', kind: 'analyze', tables: ['accounts'] }],
      });
      const result = report.tenants[0]!;
      assert.equal(result.status, 'skipped', JSON.stringify(result));
      assert.equal(result.error?.code, 'LOCKED');
      assert.match(result.error!.message, /dbfleet-other/);
      assert.equal(report.ok, false);
    } finally {
      await holder.end();
    }
  });

  it('a backend the server terminates fails only its own tenant', async () => {
    const migrations = await loadMigrations(
      folder('slow', {
        '001_accounts.sql': 'create table accounts (id int);',
        '002_slow.sql': 'select pg_sleep(3); create table later (id int);',
      }),
    );
    const running = migrate({ tenants: fleet.slice(1), migrations, concurrency: 2, perHost: 2 });
    const victim = dbOf('b');
    await waitFor(
      "tenant b's migration running",
      async () =>
        (
          await adminQuery<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where datname = $1 and query like 'select pg_sleep(3)%'",
            [victim],
          )
        )[0]!.n === 1 || undefined,
      30_000,
    );
    await adminQuery(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'dbfleet'",
      [victim],
    );
    const report = await running;
    const byId = Object.fromEntries(report.tenants.map((t) => [t.id, t]));
    assert.equal(byId.b!.status, 'failed');
    assert.equal(byId.b!.error?.code, 'CONNECTION_LOST', JSON.stringify(byId.b));
    assert.equal(byId.c!.status, 'succeeded', JSON.stringify(byId.c));
  });
});
