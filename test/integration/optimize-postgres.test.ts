import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { UsageError } from '../../src/core/errors.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { type OptimizeOptions, optimize } from '../../src/optimization/fleet.js';
import type { Optimization, OptimizationOutcome } from '../../src/optimization/types.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('optimize');
// Two databases: the big table of the concurrent-build test, and one shared by the other tests (each
// uses its own tables). Creating and dropping databases is the slow part of a test file.
const main = `${prefix}_main`;
const db = {
  build: `${prefix}_build`,
  heal: main,
  defs: main,
  cleanup: main,
  resume: main,
  locks: main,
  schemas: main,
};
const DAY = 86_400_000;

async function sql<T = Record<string, unknown>>(
  database: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: pgUrl(database) });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function connect(database: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: pgUrl(database) });
  await client.connect();
  return client;
}

function tenantsOf(database: string, schemas?: string[]) {
  const entries = schemas
    ? schemas.map((schema) => ({
        id: schema,
        dialect: 'postgres' as const,
        connection: pgUrl(database),
        schema,
      }))
    : [{ id: database, dialect: 'postgres' as const, connection: pgUrl(database) }];
  return validateInventory(entries, 'test');
}

interface Run {
  report: FleetReport;
  events: FleetEvent[];
  outcomes: OptimizationOutcome[];
}

async function runOptimize(
  database: string,
  optimizations: Optimization[],
  extra: Partial<OptimizeOptions> = {},
): Promise<Run> {
  const events: FleetEvent[] = [];
  const report = await optimize({
    tenants: tenantsOf(database),
    optimizations,
    onEvent: (e) => events.push(e),
    ...extra,
  });
  const outcomes = (report.tenants[0]?.details.optimizations ?? []) as OptimizationOutcome[];
  return { report, events, outcomes };
}

async function indexInfo(database: string, name: string) {
  const rows = await sql<{ oid: number; valid: boolean; unique: boolean; def: string }>(
    database,
    `select i.oid::int as oid, x.indisvalid as valid, x.indisunique as unique, pg_get_indexdef(i.oid) as def
       from pg_class i join pg_index x on x.indexrelid = i.oid where i.relname = $1`,
    [name],
  );
  return rows[0];
}

async function count(database: string, query: string): Promise<number> {
  const rows = await sql<{ n: string }>(database, `select count(*) as n from ${query}`);
  return Number(rows[0]!.n);
}

before(async () => {
  await dropDatabases(prefix);
  await createDatabases([db.build, main]);
});

after(async () => {
  await dropDatabases(prefix);
});

describe('optimize on PostgreSQL', () => {
  test('builds an index concurrently: inserts keep committing during the build', async (t) => {
    await sql(
      db.build,
      `create table events (id bigserial primary key, payload text not null, created_at timestamptz not null default now());
       insert into events (payload) select md5(g::text) || md5((g * 7)::text) from generate_series(1, 200000) g;`,
    );
    const writer = await connect(db.build);
    const inserts: { start: number; end: number }[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const start = performance.now();
        await writer.query(`insert into events (payload) values (md5(random()::text))`);
        inserts.push({ start, end: performance.now() });
      }
    })();
    let buildStart = 0;
    let buildEnd = 0;
    let run: Run;
    try {
      // Let the writer get going first, so the build starts while it is writing.
      while (inserts.length < 20) await new Promise((r) => setTimeout(r, 5));
      run = await runOptimize(
        db.build,
        [{ kind: 'index', name: 'events_payload_idx', table: 'events', columns: ['payload'] }],
        {
          onEvent: (e) => {
            if (e.type === 'optimization:start') buildStart = performance.now();
            if (e.type === 'optimization:done') buildEnd = performance.now();
          },
        },
      );
    } finally {
      stop = true;
      await loop;
      await writer.end();
    }
    assert.equal(run.report.tenants[0]!.status, 'succeeded', JSON.stringify(run.report.tenants[0]!.error));
    assert.deepEqual(run.outcomes, [{ name: 'events_payload_idx', action: 'created' }]);
    const index = await indexInfo(db.build, 'events_payload_idx');
    assert.equal(index?.valid, true);
    const buildMs = buildEnd - buildStart;
    assert.ok(
      buildMs >= 150,
      `the build must take measurable time for this test to mean anything (took ${buildMs}ms)`,
    );
    const during = inserts.filter((i) => i.end > buildStart && i.end < buildEnd);
    const overlapping = inserts.filter((i) => i.end > buildStart && i.start < buildEnd);
    const slowest = Math.max(...overlapping.map((i) => i.end - i.start));
    t.diagnostic(
      `build ${Math.round(buildMs)}ms, ${during.length} inserts committed during it, slowest ${Math.round(slowest)}ms`,
    );
    assert.ok(
      during.length >= 20,
      `only ${during.length} inserts committed during the ${Math.round(buildMs)}ms build`,
    );
    // A blocking CREATE INDEX would hold an insert for the whole build.
    assert.ok(
      slowest < buildMs / 2,
      `an insert waited ${Math.round(slowest)}ms during a ${Math.round(buildMs)}ms build`,
    );
  });

  test('heals the INVALID leftover of an interrupted concurrent build', async () => {
    await sql(
      db.heal,
      `create table accounts (id serial primary key, email text not null);
       insert into accounts (email) select 'user' || (g % 500) || '@example.com' from generate_series(1, 1000) g;`,
    );
    // A concurrent unique build that fails on duplicates leaves an INVALID index behind.
    await assert.rejects(
      sql(db.heal, 'create unique index concurrently accounts_email_key on accounts (email)'),
    );
    const leftover = await indexInfo(db.heal, 'accounts_email_key');
    assert.equal(leftover?.valid, false);
    await sql(db.heal, 'delete from accounts a using accounts b where a.email = b.email and a.id > b.id');

    const index: Optimization = {
      kind: 'index',
      name: 'accounts_email_key',
      table: 'accounts',
      columns: ['email'],
      unique: true,
    };
    const dry = await runOptimize(db.heal, [index], { dryRun: true });
    assert.deepEqual(dry.outcomes, [{ name: 'accounts_email_key', action: 'would-heal' }]);
    const [{ record }] = (await sql(
      db.heal,
      "select to_regclass('dbfleet_optimizations')::text as record",
    )) as [{ record: string | null }];
    assert.equal(record, null, 'a dry run creates nothing, not even the record table');
    assert.equal((await indexInfo(db.heal, 'accounts_email_key'))?.oid, leftover.oid);

    const run = await runOptimize(db.heal, [index]);
    assert.equal(run.report.tenants[0]!.status, 'succeeded', JSON.stringify(run.report.tenants[0]!.error));
    assert.deepEqual(run.outcomes, [{ name: 'accounts_email_key', action: 'healed' }]);
    const healed = await indexInfo(db.heal, 'accounts_email_key');
    assert.equal(healed?.valid, true);
    assert.equal(healed?.unique, true);
    assert.notEqual(healed?.oid, leftover.oid);
    const again = await runOptimize(db.heal, [index]);
    assert.deepEqual(again.outcomes, [{ name: 'accounts_email_key', action: 'skipped' }]);
  });

  test('a concurrent build that fails leaves no INVALID index behind', async () => {
    await sql(
      db.heal,
      `create table dupes (id serial primary key, code text not null);
       insert into dupes (code) select 'c' || (g % 10) from generate_series(1, 100) g;`,
    );
    const run = await runOptimize(db.heal, [
      { kind: 'index', name: 'dupes_code_key', table: 'dupes', columns: ['code'], unique: true },
    ]);
    const tenant = run.report.tenants[0]!;
    assert.equal(tenant.status, 'failed');
    assert.match(tenant.error!.message, /dupes_code_key/);
    assert.match(tenant.error!.message, /duplicate|could not create unique index/i);
    assert.deepEqual(run.outcomes, [{ name: 'dupes_code_key', action: 'failed' }]);
    assert.equal(await indexInfo(db.heal, 'dupes_code_key'), undefined);
  });

  test('an index build that cannot get its lock retries, then fails cleanly with nothing left behind', async () => {
    await sql(
      db.heal,
      'create table busy (id serial primary key, v int); insert into busy (v) select g from generate_series(1, 100) g',
    );
    const holder = await connect(db.heal);
    let run: Run;
    try {
      // Another maintenance job (a VACUUM, a DDL) holds the table.
      await holder.query('begin');
      await holder.query('lock table busy in share update exclusive mode');
      run = await runOptimize(db.heal, [
        {
          kind: 'index',
          name: 'busy_v_idx',
          table: 'busy',
          columns: ['v'],
          lockTimeoutMs: 100,
          retries: 1,
          retryDelayMs: 10,
        },
      ]);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    const tenant = run.report.tenants[0]!;
    assert.equal(tenant.error?.code, 'LOCK_TIMEOUT');
    assert.match(tenant.error!.message, /busy_v_idx.*"busy".*100ms, 2 attempts/);
    assert.deepEqual(run.outcomes, [{ name: 'busy_v_idx', action: 'failed' }]);
    assert.equal(await indexInfo(db.heal, 'busy_v_idx'), undefined);
    // Once the table is free, the next run builds it.
    const rerun = await runOptimize(db.heal, [
      { kind: 'index', name: 'busy_v_idx', table: 'busy', columns: ['v'] },
    ]);
    assert.deepEqual(rerun.outcomes, [{ name: 'busy_v_idx', action: 'created' }]);
  });

  test('an index with another definition is a conflict; a changed definition of its own is rebuilt', async () => {
    await sql(
      db.defs,
      `create table items (id serial primary key, code text, owner int not null);
       insert into items (code, owner) select 'c' || g, g % 50 from generate_series(1, 2000) g;
       create index items_code_idx on items (code);
       create index items_lower_code_idx on items (lower(code)) where code is not null;`,
    );
    const before = await indexInfo(db.defs, 'items_code_idx');
    const conflict = await runOptimize(db.defs, [
      { kind: 'index', name: 'items_code_idx', table: 'items', columns: ['code', 'owner'] },
      // Spelled differently from the migration, but the same index: PostgreSQL normalizes both.
      {
        kind: 'index',
        name: 'items_lower_code_idx',
        table: 'items',
        columns: ['(LOWER(code))'],
        where: 'code IS NOT NULL',
      },
    ]);
    const tenant = conflict.report.tenants[0]!;
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'INDEX_CONFLICT');
    assert.match(tenant.error!.message, /items_code_idx.*\(code\).*\(code, owner\)/);
    assert.deepEqual(conflict.outcomes, [
      { name: 'items_code_idx', action: 'conflict' },
      { name: 'items_lower_code_idx', action: 'skipped' },
    ]);
    assert.deepEqual(await indexInfo(db.defs, 'items_code_idx'), before);

    const v1: Optimization = { kind: 'index', name: 'items_owner_idx', table: 'items', columns: ['owner'] };
    const v2: Optimization = { ...v1, columns: ['owner', 'code desc'] };
    assert.deepEqual((await runOptimize(db.defs, [v1])).outcomes, [
      { name: 'items_owner_idx', action: 'created' },
    ]);
    const dry = await runOptimize(db.defs, [v2], { dryRun: true });
    assert.deepEqual(dry.outcomes, [{ name: 'items_owner_idx', action: 'would-rebuild' }]);
    assert.match((await indexInfo(db.defs, 'items_owner_idx'))!.def, /\(owner\)$/);
    const rebuilt = await runOptimize(db.defs, [v2]);
    assert.deepEqual(rebuilt.outcomes, [{ name: 'items_owner_idx', action: 'rebuilt' }]);
    const after = await indexInfo(db.defs, 'items_owner_idx');
    assert.equal(after?.valid, true);
    assert.match(after!.def, /\(owner, code DESC\)$/);
    assert.deepEqual((await runOptimize(db.defs, [v2])).outcomes, [
      { name: 'items_owner_idx', action: 'skipped' },
    ]);
    const leftovers = await sql(
      db.defs,
      `select relname from pg_class where relname like '%dbfleet_new%' and relkind = 'i'`,
    );
    assert.deepEqual(leftovers, []);

    // Someone changes dbfleet's index behind its back while the definition stays: reported, not reverted.
    await sql(db.defs, 'drop index items_owner_idx; create index items_owner_idx on items (owner)');
    const changed = await runOptimize(db.defs, [v2]);
    assert.deepEqual(changed.outcomes, [{ name: 'items_owner_idx', action: 'conflict' }]);
    assert.match(changed.report.tenants[0]!.error!.message, /changed outside dbfleet/);
  });

  test('custom optimizations run on the tenant connection; `once` ones only until they succeeded', async () => {
    await sql(
      db.defs,
      `create table flags (id serial primary key, on_off boolean); insert into flags (on_off) select null from generate_series(1, 30)`,
    );
    const backfill: Optimization = {
      kind: 'custom',
      name: 'flags_backfill',
      once: true,
      run: async (knex) => ({ rows: await knex('flags').whereNull('on_off').update({ on_off: false }) }),
    };
    const first = await runOptimize(db.defs, [backfill]);
    assert.deepEqual(first.outcomes, [{ name: 'flags_backfill', action: 'ran', rows: 30 }]);
    const dry = await runOptimize(db.defs, [backfill], { dryRun: true });
    assert.deepEqual(dry.outcomes, [{ name: 'flags_backfill', action: 'skipped' }]);
    const second = await runOptimize(db.defs, [backfill]);
    assert.deepEqual(second.outcomes, [{ name: 'flags_backfill', action: 'skipped' }]);

    // Each optimization runs under its own timeouts, and they do not leak into the next one.
    const seen: string[] = [];
    const show: Optimization = {
      kind: 'custom',
      name: 'show_timeouts',
      run: async (knex) => {
        for (const setting of ['lock_timeout', 'statement_timeout']) {
          seen.push(Object.values((await knex.raw(`show ${setting}`)).rows[0] as object)[0] as string);
        }
      },
    };
    const timed = await runOptimize(db.defs, [
      { ...show, name: 'show_own', lockTimeoutMs: 1234, statementTimeoutMs: 4321 },
      { kind: 'index', name: 'flags_on_off_idx', table: 'flags', columns: ['on_off'], lockTimeoutMs: 100 },
      show,
    ]);
    assert.equal(timed.report.tenants[0]!.status, 'succeeded');
    assert.deepEqual(seen, ['1234ms', '4321ms', '5s', '10min']);
  });

  test('cleanup: dry run counts exactly, the run deletes exactly the matching rows in batches, a rerun is a no-op', async () => {
    await sql(
      db.cleanup,
      `create table audit_log (id serial primary key, occurred_at timestamptz not null, action text not null);
       insert into audit_log (occurred_at, action)
       select case when g % 3 = 0 then now() - interval '400 days' else now() - interval '10 days' end, 'a' || g
         from generate_series(1, 3000) g;`,
    );
    const definitions: Optimization[] = [
      { kind: 'index', name: 'audit_log_occurred_idx', table: 'audit_log', columns: ['occurred_at'] },
      {
        kind: 'cleanup',
        name: 'audit_log_retention',
        table: 'audit_log',
        where: 'occurred_at < ?',
        bindings: () => [new Date(Date.now() - 365 * DAY)],
        batchSize: 150,
        pauseMs: 5,
      },
      { kind: 'analyze', name: 'audit_stats', tables: ['audit_log'] },
    ];
    const dry = await runOptimize(db.cleanup, definitions, { dryRun: true });
    assert.equal(dry.report.tenants[0]!.status, 'succeeded', JSON.stringify(dry.report.tenants[0]!.error));
    assert.deepEqual(dry.outcomes, [
      { name: 'audit_log_occurred_idx', action: 'would-create' },
      { name: 'audit_log_retention', action: 'would-delete', rows: 1000 },
      { name: 'audit_stats', action: 'would-analyze' },
    ]);
    assert.equal(await count(db.cleanup, 'audit_log'), 3000);
    assert.equal(await indexInfo(db.cleanup, 'audit_log_occurred_idx'), undefined);
    assert.equal(
      await count(db.cleanup, "dbfleet_optimizations where name like 'audit%'"),
      0,
      'a dry run records nothing',
    );

    const run = await runOptimize(db.cleanup, definitions);
    assert.equal(run.report.tenants[0]!.status, 'succeeded', JSON.stringify(run.report.tenants[0]!.error));
    assert.deepEqual(run.outcomes, [
      { name: 'audit_log_occurred_idx', action: 'created' },
      { name: 'audit_log_retention', action: 'deleted', rows: 1000 },
      { name: 'audit_stats', action: 'analyzed' },
    ]);
    assert.equal(await count(db.cleanup, 'audit_log where id % 3 = 0'), 0);
    assert.equal(await count(db.cleanup, 'audit_log where id % 3 <> 0'), 2000);
    assert.equal(await count(db.cleanup, "audit_log where occurred_at < now() - interval '365 days'"), 0);
    const batches = run.events.filter((e) => e.type === 'optimization:progress');
    assert.equal(batches.length, Math.ceil(1000 / 150));
    assert.ok(batches.every((e) => e.type === 'optimization:progress' && e.rows <= 150 * e.batches));
    const [{ analyzed }] = (await sql<{ analyzed: Date | null }>(
      db.cleanup,
      "select last_analyze as analyzed from pg_stat_user_tables where relname = 'audit_log'",
    )) as [{ analyzed: Date | null }];
    assert.ok(analyzed, 'ANALYZE ran');

    const index = await indexInfo(db.cleanup, 'audit_log_occurred_idx');
    const rerun = await runOptimize(db.cleanup, definitions);
    assert.deepEqual(rerun.outcomes, [
      { name: 'audit_log_occurred_idx', action: 'skipped' },
      { name: 'audit_log_retention', action: 'deleted', rows: 0 },
      { name: 'audit_stats', action: 'analyzed' },
    ]);
    assert.equal(await count(db.cleanup, 'audit_log'), 2000);
    assert.deepEqual(await indexInfo(db.cleanup, 'audit_log_occurred_idx'), index);
    const records = await sql<{ name: string; action: string; status: string; rows: string | null }>(
      db.cleanup,
      "select name, action, status, rows from dbfleet_optimizations where name = 'audit_log_retention' order by id",
    );
    assert.deepEqual(
      records.map((r) => [r.action, r.status, r.rows === null ? null : Number(r.rows)]),
      [
        ['deleted', 'succeeded', 1000],
        ['deleted', 'succeeded', 0],
      ],
    );
  });

  test('a cleanup stopped by maxDurationMs reports partial and the next run finishes it', async () => {
    await sql(
      db.resume,
      `create table sessions (id serial primary key, expires_at timestamptz not null);
       insert into sessions (expires_at) select now() - interval '1 day' from generate_series(1, 1000);
       insert into sessions (expires_at) select now() + interval '1 day' from generate_series(1, 200);`,
    );
    const cleanup: Optimization = {
      kind: 'cleanup',
      name: 'expired_sessions',
      table: 'sessions',
      where: 'expires_at < now()',
      batchSize: 100,
      pauseMs: 0,
      maxDurationMs: 300,
    };
    // A user's transaction holds a row of the first batch for 600ms: that batch waits (within the lock
    // timeout), and by the time it commits the time budget is spent.
    const holder = await connect(db.resume);
    await holder.query('begin');
    await holder.query('select * from sessions where id = 1 for update');
    const release = setTimeout(() => void holder.query('commit'), 600);
    let first: Run;
    try {
      first = await runOptimize(db.resume, [cleanup]);
    } finally {
      clearTimeout(release);
      await holder.query('commit').catch(() => {});
      await holder.end();
    }
    assert.equal(first.report.tenants[0]!.status, 'succeeded');
    assert.deepEqual(first.outcomes, [{ name: 'expired_sessions', action: 'partial', rows: 100 }]);
    assert.equal(await count(db.resume, 'sessions'), 1100);

    const second = await runOptimize(db.resume, [cleanup]);
    assert.deepEqual(second.outcomes, [{ name: 'expired_sessions', action: 'deleted', rows: 900 }]);
    assert.equal(await count(db.resume, 'sessions where expires_at < now()'), 0);
    assert.equal(await count(db.resume, 'sessions'), 200);
  });

  test('a batch that cannot get its locks backs off, retries, then fails the tenant with a clear reason', async () => {
    await sql(
      db.locks,
      `create table jobs (id serial primary key, done boolean not null);
       insert into jobs (done) select true from generate_series(1, 500);`,
    );
    const cleanup: Optimization = {
      kind: 'cleanup',
      name: 'finished_jobs',
      table: 'jobs',
      where: 'done',
      batchSize: 100,
      pauseMs: 0,
      lockTimeoutMs: 100,
      retries: 2,
      retryDelayMs: 20,
    };
    const holder = await connect(db.locks);
    let run: Run;
    try {
      await holder.query('begin');
      await holder.query('select * from jobs where id = 250 for update');
      run = await runOptimize(db.locks, [cleanup]);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    const tenant = run.report.tenants[0]!;
    assert.equal(tenant.status, 'failed');
    assert.equal(tenant.error?.code, 'LOCK_TIMEOUT');
    assert.match(
      tenant.error!.message,
      /finished_jobs.*batch 3.*"jobs".*100ms.*3 attempts.*200 row\(s\) deleted/,
    );
    assert.deepEqual(run.outcomes, [{ name: 'finished_jobs', action: 'failed', rows: 200 }]);
    const retries = run.events.filter((e) => e.type === 'notice' && /retry/.test(e.message));
    assert.equal(retries.length, 2);
    assert.equal(await count(db.locks, 'jobs where id <= 200'), 0);
    assert.equal(await count(db.locks, 'jobs'), 300);

    const rerun = await runOptimize(db.locks, [cleanup]);
    assert.deepEqual(rerun.outcomes, [{ name: 'finished_jobs', action: 'deleted', rows: 300 }]);
  });

  test('an empty predicate is refused with nothing deleted, with every other problem at once', async () => {
    await sql(db.locks, 'insert into jobs (done) select true from generate_series(1, 50)');
    const invalid = [
      { kind: 'cleanup', name: 'wipe', table: 'jobs', where: '   ' },
      { kind: 'cleanup', name: 'wipe_all', table: 'jobs', where: '1 = 1' },
      { kind: 'index', name: 'bad name', table: 'jobs' },
    ] as unknown as Optimization[];
    await assert.rejects(runOptimize(db.locks, invalid), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(err.problems.length, 4, err.message);
      assert.match(err.message, /"wipe": where must not be empty/);
      assert.match(err.message, /"wipe_all": where "1 = 1" is always true/);
      assert.match(err.message, /"bad name": name must be/);
      assert.match(err.message, /"bad name": columns is required/);
      return true;
    });
    assert.equal(await count(db.locks, 'jobs'), 50);
    // The runner refuses it too when a library caller bypasses validation.
    const bypass = await optimize({
      tenants: tenantsOf(db.locks),
      optimizations: [
        { definition: { kind: 'cleanup', name: 'wipe', table: 'jobs', where: '' }, checksum: 'x' },
      ],
    });
    assert.equal(bypass.tenants[0]!.status, 'failed');
    assert.equal(bypass.tenants[0]!.error?.code, 'INVALID_OPTIMIZATION');
    assert.equal(await count(db.locks, 'jobs'), 50);
  });

  test('schema-per-tenant: each tenant optimizes its own schema only', async () => {
    await sql(
      db.schemas,
      `create schema acme; create schema globex;
       create table acme.notes (id serial primary key, stale boolean not null);
       create table globex.notes (id serial primary key, stale boolean not null);
       insert into acme.notes (stale) select g % 2 = 0 from generate_series(1, 100) g;
       insert into globex.notes (stale) select g % 4 = 0 from generate_series(1, 100) g;`,
    );
    const report = await optimize({
      tenants: tenantsOf(db.schemas, ['acme', 'globex']),
      optimizations: [
        { kind: 'index', name: 'notes_stale_idx', table: 'notes', columns: ['stale'] },
        { kind: 'cleanup', name: 'stale_notes', table: 'notes', where: 'stale', batchSize: 10, pauseMs: 0 },
      ],
      perHost: 2,
    });
    const byId = Object.fromEntries(report.tenants.map((t) => [t.id, t.details.optimizations]));
    assert.deepEqual(byId.acme, [
      { name: 'notes_stale_idx', action: 'created' },
      { name: 'stale_notes', action: 'deleted', rows: 50 },
    ]);
    assert.deepEqual(byId.globex, [
      { name: 'notes_stale_idx', action: 'created' },
      { name: 'stale_notes', action: 'deleted', rows: 25 },
    ]);
    const indexes = await sql<{ schemaname: string }>(
      db.schemas,
      "select schemaname from pg_indexes where indexname = 'notes_stale_idx' order by 1",
    );
    assert.deepEqual(
      indexes.map((i) => i.schemaname),
      ['acme', 'globex'],
    );
    assert.equal(await count(db.schemas, 'acme.notes'), 50);
    assert.equal(await count(db.schemas, 'globex.notes'), 75);
    assert.equal(await count(db.schemas, 'acme.dbfleet_optimizations'), 2);
    assert.equal(await count(db.schemas, 'globex.dbfleet_optimizations'), 2);

    // A table found only further down the search_path (a shared one in public) is not the tenant's.
    await sql(
      db.schemas,
      'create table public.shared_notes (id serial primary key, stale boolean); insert into public.shared_notes (stale) values (true)',
    );
    const shared = await optimize({
      tenants: tenantsOf(db.schemas, ['acme']),
      optimizations: [{ kind: 'cleanup', name: 'shared_cleanup', table: 'shared_notes', where: 'stale' }],
    });
    assert.equal(shared.tenants[0]!.error?.code, 'TABLE_NOT_FOUND');
    assert.equal(await count(db.schemas, 'public.shared_notes'), 1);
  });
});
