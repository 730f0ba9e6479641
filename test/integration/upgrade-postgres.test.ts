// Against a real PostgreSQL: the whole runbook (hooks, backups, verify, migrate, optimize, smoke
// checks) on throwaway tenant databases cloned from one template. Every assertion that matters reads the
// databases, the backup folder or the journal — not only the report.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { compareFingerprints, type FingerprintDifference } from '../../src/backup/compare.js';
import { parseManifest } from '../../src/backup/manifest.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { Fingerprint, FingerprintLevel } from '../../src/dialect/backup-types.js';
import { getAdapter } from '../../src/dialect/registry.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { Journal } from '../../src/journal/journal.js';
import { findRun, runMigrations, runSteps, runTenants } from '../../src/journal/read.js';
import { migrate } from '../../src/migration/migrate-fleet.js';
import { buildFleetReport } from '../../src/report/index.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import { UPGRADE_STEPS, type UpgradeDetails } from '../../src/upgrade/types.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import {
  adminQuery,
  dropDatabases,
  PG_ADMIN_URL,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/upgrade');
const MIGRATIONS = join(FIXTURES, 'migrations');
const OPTIMIZATIONS = join(FIXTURES, 'optimizations');
const CHECKS = join(FIXTURES, 'checks');
const CONFIG = join(FIXTURES, 'config.mjs');
const BIN = join(ROOT, 'bin/dbfleet.js');

const BASE = '20250101000000_base.sql';
const RELEASE_2 = [
  '20250102000000_add_order_status.ts',
  '20250103000000_create_invoices.sql',
  '20250104000000_add_loyalty_no_tx.js',
];
const ALL_MIGRATIONS = [BASE, ...RELEASE_2];
const HOOKS = {
  beforeTenant: "update app_settings set value = 'on' where key = 'maintenance'",
  afterTenant: "update app_settings set value = 'off' where key = 'maintenance'",
};

const prefix = uniquePrefix('upg');
const db = (label: string) => `${prefix}_${label}`;
const pad = (i: number) => String(i).padStart(2, '0');
/** Deep verification restores into `dbfleet_verify_<tenant id>_<n>`: with our ids, this prefix. */
const SCRATCH_PREFIX = `dbfleet_verify_${prefix}`;

const TEMPLATE = db('template');
/** 32 until CI's 20 minutes grew tight: 20 still make three waves with more tenants than the concurrency. */
const FULL_SIZE = 20;
const FULL = Array.from({ length: FULL_SIZE }, (_, i) => db(`full_${pad(i)}`));
const FULL_CANARIES = [FULL[5]!, FULL[15]!];
const CANARY_FLEET = [
  db('can_c'),
  db('can_d'),
  db('can_a_boom'),
  db('can_e'),
  db('can_b'),
  db('can_f'),
  db('can_g'),
];
const CANARY_TAGGED = [db('can_a_boom'), db('can_b')];
const HALF_ROLLBACK = db('halfway_a');
const HALF_CONTINUE = db('halfway_b');
/** Held by "another runner" (its migration lock) while an upgrade reaches it. */
const HELD = db('held');
const SLOW = Array.from({ length: 16 }, (_, i) => db(`slow_${pad(i)}`));
const THROTTLED = Array.from({ length: 4 }, (_, i) => db(`thr_${pad(i)}`));
/** Ctrl-C'd mid-run, then resumed ('slow' in the name: their migration sleeps). */
const INTERRUPTED = Array.from({ length: 6 }, (_, i) => db(`slow_int_${pad(i)}`));
const ALL_TENANTS = [
  ...FULL,
  ...CANARY_FLEET,
  HALF_ROLLBACK,
  HALF_CONTINUE,
  HELD,
  ...SLOW,
  ...THROTTLED,
  ...INTERRUPTED,
];

let tmp: string;
let backupDir: string;
const children: ChildProcess[] = [];

// ---------------------------------------------------------------------------------------------- helpers

function tenantsOf(ids: readonly string[], tags: Record<string, string[]> = {}): Tenant[] {
  return validateInventory(
    ids.map((id) => ({
      id,
      dialect: 'postgres',
      connection: pgUrl(id),
      ...(tags[id] ? { tags: tags[id] } : {}),
    })),
    'test inventory',
  );
}

const q = queryDatabase;

async function migrationsIn(database: string): Promise<string[]> {
  return (await q<{ name: string }>(database, 'select name from knex_migrations order by id')).map(
    (r) => r.name,
  );
}

async function flagOf(database: string): Promise<string | undefined> {
  return (await q<{ value: string }>(database, "select value from app_settings where key = 'maintenance'"))[0]
    ?.value;
}

async function tablesIn(database: string): Promise<string[]> {
  const rows = await q<{ t: string }>(
    database,
    "select table_name as t from information_schema.tables where table_schema = 'public' order by 1",
  );
  return rows.map((r) => r.t);
}

async function columnsOf(database: string, table: string): Promise<string[]> {
  const rows = await q<{ c: string }>(
    database,
    "select column_name as c from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position",
    [table],
  );
  return rows.map((r) => r.c);
}

/** The backup driver's fingerprint of the live database (`full`: structure, row counts and content). */
async function fingerprint(database: string, level: FingerprintLevel = 'full'): Promise<Fingerprint> {
  const [tenant] = tenantsOf([database]);
  const adapter = getAdapter('postgres');
  const sessionOptions = { timeouts: { lockTimeoutMs: 0, statementTimeoutMs: 0 } };
  const session = await adapter.open(tenant!, sessionOptions);
  try {
    return await adapter.backup!.fingerprint(
      {
        tenant: tenant!,
        session: async () => session,
        releaseSession: async () => {},
        secondConnection: (fn) => fn(),
        sessionOptions,
        signal: new AbortController().signal,
        tools: {},
        workDir: tmp,
      },
      level,
    );
  } finally {
    await session.close();
  }
}

const diffKinds = (diffs: FingerprintDifference[]) => diffs.map((d) => `${d.table} ${d.what}`);

async function eachTenant<T>(
  ids: readonly string[],
  fn: (id: string) => Promise<T>,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (let i = 0; i < ids.length; i += 8) {
    const chunk = ids.slice(i, i + 8);
    const values = await Promise.all(chunk.map(fn));
    for (const [k, id] of chunk.entries()) out.set(id, values[k]!);
  }
  return out;
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(
    'select datname from pg_database where starts_with(datname, $1)',
    [SCRATCH_PREFIX],
  );
  return rows.map((r) => r.datname);
}

async function advisoryLocksOnTestDatabases(): Promise<number> {
  const rows = await adminQuery<{ n: string }>(
    `select count(*) as n from pg_locks l join pg_database d on d.oid = l.database
     where l.locktype = 'advisory' and (starts_with(d.datname, $1) or starts_with(d.datname, $2))`,
    [prefix, SCRATCH_PREFIX],
  );
  return Number(rows[0]!.n);
}

/** Connections to the given databases, waiting briefly for closed ones to go away. */
async function connectionsTo(ids: readonly string[]): Promise<number> {
  let n = 0;
  for (let attempt = 0; attempt < 40; attempt++) {
    const rows = await adminQuery<{ n: string }>(
      'select count(*) as n from pg_stat_activity where datname = any($1::text[])',
      [ids],
    );
    n = Number(rows[0]!.n);
    if (n === 0) return 0;
    await sleep(50);
  }
  return n;
}

function peakInFlight(events: readonly FleetEvent[]): number {
  const inFlight = new Set<string>();
  let peak = 0;
  for (const e of events) {
    if (e.type === 'tenant:start') peak = Math.max(peak, inFlight.add(e.tenantId).size);
    else if (e.type === 'tenant:done') inFlight.delete(e.tenantId);
  }
  return peak;
}

const byId = (report: FleetReport) => new Map(report.tenants.map((t) => [t.id, t]));
const details = (t: { details: unknown } | undefined) => t?.details as UpgradeDetails;

async function withJournal<T>(path: string, fn: (journal: Journal) => Promise<T>): Promise<T> {
  const journal = await Journal.open(path);
  try {
    return await fn(journal);
  } finally {
    await journal.close();
  }
}

/** Starts `dbfleet upgrade --json` on an inventory as a child process (its output collected). */
function upgradeCli(dir: string, inventory: string, journal: string, options: string[]) {
  const args = [
    BIN,
    'upgrade',
    '--config',
    CONFIG,
    '--tenants',
    inventory,
    '--migrations',
    MIGRATIONS,
    '--optimizations',
    OPTIMIZATIONS,
    '--backup-dir',
    join(dir, 'backups'),
    '--journal',
    journal,
    '--checks',
    CHECKS,
    ...options,
    '--json',
  ];
  return (extra: string[]) => {
    const child = spawn(process.execPath, [...args, ...extra], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => {
      stdout += d;
    });
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    return { child, exited, out: () => ({ stdout, stderr }) };
  };
}

async function libraryUpgrade(
  ids: readonly string[],
  journal: string,
  options: Partial<Parameters<typeof upgrade>[0]> & { tags?: Record<string, string[]> } = {},
) {
  const { tags, ...rest } = options;
  const tenants = tenantsOf(ids, tags);
  const prepared = await prepareUpgrade({
    tenants,
    migrations: MIGRATIONS,
    optimizations: OPTIMIZATIONS,
    checksDir: CHECKS,
    backupDir,
    journal,
    hooks: HOOKS,
  });
  const events: FleetEvent[] = [];
  const report = await upgrade({
    ...prepared,
    tenants,
    concurrency: 8,
    perHost: 8,
    ...rest,
    onEvent: (e) => events.push(e),
  });
  return { report, events, tenants, prepared };
}

// ------------------------------------------------------------------------------------------------ setup

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'dbfleet-upgrade-pg-'));
  backupDir = join(tmp, 'backups');
  // The template: release 1 applied by dbfleet itself, a little data, the maintenance flag off.
  await adminQuery(`create database "${TEMPLATE}"`);
  const base = await migrate({ tenants: tenantsOf([TEMPLATE]), migrations: MIGRATIONS, to: BASE });
  assert.equal(base.ok, true, JSON.stringify(base.tenants[0]?.error));
  await q(
    TEMPLATE,
    `insert into customers (name) select 'customer ' || i from generate_series(1, 20) i;
     insert into orders (customer_id, total) select 1 + i % 20, i * 1.5 from generate_series(1, 60) i;
     insert into app_settings values ('maintenance', 'off'), ('plan', 'gold');`,
  );
  // Clone it (a few CREATE DATABASE at a time), then give every tenant data of its own, so a restore
  // of the wrong tenant's backup could not go unnoticed.
  const clone = async (ids: string[]) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      for (const id of ids) await client.query(`create database "${id}" template "${TEMPLATE}"`);
    } finally {
      await client.end();
    }
  };
  const lanes = 6;
  await Promise.all(
    Array.from({ length: lanes }, (_, k) => clone(ALL_TENANTS.filter((_, i) => i % lanes === k))),
  );
  await eachTenant(ALL_TENANTS, async (id) => {
    await q(id, 'insert into customers (name) values ($1)', [id]);
    await q(id, 'insert into orders (customer_id, total) values (1, $1)', [id.length]);
  });
});

after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await dropDatabases(prefix);
  await dropDatabases(SCRATCH_PREFIX);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------------ tests

describe('upgrade on PostgreSQL', () => {
  let fullJournal: string;
  let fullRunId: string;
  let fullBefore: Map<string, Fingerprint>;

  it(`upgrades ${FULL_SIZE} tenants: canary wave then 10 then the rest, every step, real state checked`, async () => {
    fullJournal = join(tmp, 'full.db');
    fullBefore = await eachTenant(FULL, (id) => fingerprint(id));
    const tags = Object.fromEntries(FULL_CANARIES.map((id) => [id, ['canary']]));
    const { report, events } = await libraryUpgrade(FULL, fullJournal, {
      tags,
      canary: 'canary',
      waves: '10,rest',
    });
    fullRunId = report.runId!;

    // The report: everybody succeeded with the whole runbook.
    assert.equal(report.ok, true, JSON.stringify(report.tenants.filter((t) => t.error).map((t) => t.error)));
    assert.deepEqual(report.summary, { total: FULL_SIZE, succeeded: FULL_SIZE, failed: 0, skipped: 0 });
    for (const t of report.tenants) {
      assert.deepEqual(
        details(t).steps.map((s) => `${s.step}:${s.status}`),
        UPGRADE_STEPS.map((s) => `${s}:succeeded`),
      );
      assert.deepEqual(details(t).applied, RELEASE_2);
      assert.equal(details(t).maintenance, 'open');
    }
    assert.ok(peakInFlight(events) <= 8, `peak in flight ${peakInFlight(events)}`);
    const waves = events.filter((e) => e.type === 'wave:start');
    assert.deepEqual(
      waves.map((w) => (w.type === 'wave:start' ? w.tenantIds.length : 0)),
      [2, 10, FULL_SIZE - 12],
    );
    assert.deepEqual(
      waves[0]?.type === 'wave:start' && [...waves[0].tenantIds].sort(),
      [...FULL_CANARIES].sort(),
    );

    // The databases: release 2 applied once, optimizations built, the flag cleared by the after hook.
    for (const id of FULL) {
      assert.deepEqual(await migrationsIn(id), ALL_MIGRATIONS, id);
      assert.equal(await flagOf(id), 'off', id);
    }
    const sample = FULL[7]!;
    assert.ok((await columnsOf(sample, 'orders')).includes('status'));
    assert.ok((await columnsOf(sample, 'customers')).includes('vip'));
    const [counts] = await q<{ inv: string; ord: string; loy: string; cus: string }>(
      sample,
      'select (select count(*) from invoices) inv, (select count(*) from orders) ord, (select count(*) from loyalty) loy, (select count(*) from customers) cus',
    );
    assert.equal(counts!.inv, counts!.ord);
    assert.equal(counts!.loy, counts!.cus);
    const indexes = await q(sample, "select 1 from pg_indexes where indexname = 'orders_status_idx'");
    assert.equal(indexes.length, 1, 'the optimization built its index');

    // The backups: two per tenant (pre and post), each with a manifest, verified, checksum right.
    for (const id of FULL) {
      const files = readdirSync(join(backupDir, id)).sort();
      const dumps = files.filter((f) => f.endsWith('.dump'));
      assert.equal(dumps.length, 2, `${id}: ${files.join(', ')}`);
      const manifests = dumps.map((d) =>
        parseManifest(readFileSync(join(backupDir, id, `${d}.manifest.json`), 'utf8')),
      );
      for (const [i, m] of manifests.entries()) {
        assert.equal(m.tenant, id);
        assert.equal(m.verification?.ok, true);
        assert.equal(m.verification?.level, 'light');
        const sha = createHash('sha256')
          .update(readFileSync(join(backupDir, id, dumps[i]!)))
          .digest('hex');
        assert.equal(sha, m.sha256);
      }
      // Pre: taken in maintenance before the migrations; post: after them.
      assert.equal(manifests[0]!.fingerprint.tables['public.knex_migrations']?.rows, 1);
      assert.equal(manifests[1]!.fingerprint.tables['public.knex_migrations']?.rows, 4);
      assert.equal(manifests[1]!.fingerprint.tables['public.invoices']?.rows, 61);
    }

    // The journal: every tenant, its wave, every step, the migrations it applied, its maintenance window.
    await withJournal(fullJournal, async (journal) => {
      const rows = await runTenants(journal.knex, fullRunId);
      assert.equal(rows.length, FULL_SIZE);
      assert.deepEqual([...new Set(rows.map((r) => r.status))], ['succeeded']);
      assert.deepEqual(
        [1, 2, 3].map((w) => rows.filter((r) => r.wave === w).length),
        [2, 10, FULL_SIZE - 12],
      );
      for (const r of rows) {
        assert.ok(
          r.maintenanceStartedAt && r.maintenanceEndedAt && r.maintenanceEndedAt >= r.maintenanceStartedAt,
        );
      }
      const steps = await runSteps(journal.knex, fullRunId);
      for (const id of FULL) {
        const mine = steps.filter(
          (s) => s.tenantId === id && (UPGRADE_STEPS as readonly string[]).includes(s.step),
        );
        assert.deepEqual(
          mine.map((s) => `${s.step}:${s.status}`),
          UPGRADE_STEPS.map((s) => `${s}:succeeded`),
        );
      }
      const applied = await runMigrations(journal.knex, fullRunId);
      for (const id of FULL) assert.deepEqual(applied.get(id), RELEASE_2);
      assert.equal((await findRun(journal.knex, fullRunId))?.status, 'finished');

      // The fleet report (src/report) built from the journal lists every tenant.
      const doc = await buildFleetReport(journal.knex, { runId: fullRunId });
      assert.deepEqual(doc.tenants.map((t) => t.id).sort(), [...FULL].sort());
      assert.equal(doc.summary.succeeded, FULL_SIZE);
      assert.ok(doc.tenants.every((t) => t.status === 'succeeded'));
    });
    assert.equal(await connectionsTo(FULL), 0, 'every tenant connection was closed');
    assert.equal(await advisoryLocksOnTestDatabases(), 0);
  });

  it('rollbackRun restores every tenant of that run to its pre-upgrade state, last wave first', async () => {
    assert.ok(fullRunId, 'needs the previous test');
    const tags = Object.fromEntries(FULL_CANARIES.map((id) => [id, ['canary']]));
    const tenants = tenantsOf(FULL, tags);
    const prepared = await prepareUpgrade({
      tenants,
      migrations: MIGRATIONS,
      backupDir,
      journal: fullJournal,
    });
    const events: FleetEvent[] = [];
    const report = await rollbackRun({
      ...prepared,
      tenants,
      run: fullRunId,
      reopen: true,
      hooks: { afterTenant: HOOKS.afterTenant },
      concurrency: 8,
      perHost: 8,
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.ok, true, JSON.stringify(report.tenants.filter((t) => t.error).map((t) => t.error)));
    assert.equal(report.summary.succeeded, FULL_SIZE);

    // Wave order reversed, and a wave starts only once the later one is done.
    const waveStarts = events
      .filter((e) => e.type === 'wave:start')
      .map((e) => (e.type === 'wave:start' ? e.wave : 0));
    assert.deepEqual(waveStarts, [3, 2, 1]);
    const waveOf = new Map<string, number>();
    for (const e of events) if (e.type === 'wave:start') for (const id of e.tenantIds) waveOf.set(id, e.wave);
    const position = (type: 'tenant:start' | 'tenant:done', wave: number, pick: 'first' | 'last') => {
      const found = events
        .map((e, i) => ({ e, i }))
        .filter(({ e }) => e.type === type && 'tenantId' in e && waveOf.get(e.tenantId) === wave);
      return (pick === 'first' ? found[0] : found.at(-1))!.i;
    };
    for (const wave of [2, 1])
      assert.ok(
        position('tenant:done', wave + 1, 'last') < position('tenant:start', wave, 'first'),
        `wave ${wave} started before wave ${wave + 1} was done`,
      );

    // The databases are exactly as before the upgrade (content included: the reopen hook cleared the flag).
    for (const id of FULL) {
      assert.deepEqual(await migrationsIn(id), [BASE], id);
      assert.deepEqual(diffKinds(compareFingerprints(fullBefore.get(id)!, await fingerprint(id))), [], id);
      assert.equal(await flagOf(id), 'off');
    }
    assert.ok(!(await tablesIn(FULL[0]!)).includes('invoices'));
    assert.equal(await connectionsTo(FULL), 0);
  });

  it('a failing canary stops the run before wave 2; the other tenants are untouched', async () => {
    const journal = join(tmp, 'canary.db');
    const others = CANARY_FLEET.filter((id) => !CANARY_TAGGED.includes(id));
    const boom = db('can_a_boom');
    const before = await eachTenant(CANARY_FLEET, async (id) => ({
      migrations: await migrationsIn(id),
      fingerprint: await fingerprint(id),
    }));
    const tags = Object.fromEntries(CANARY_TAGGED.map((id) => [id, ['canary']]));
    // A generous failure budget: it is the canary gate, not the budget, that must stop the run.
    const { report, events } = await libraryUpgrade(CANARY_FLEET, journal, {
      tags,
      canary: 'canary',
      maxFailures: '50%',
    });

    const results = byId(report);
    assert.equal(report.ok, false);
    assert.equal(results.get(boom)?.status, 'failed');
    assert.equal(results.get(boom)?.error?.code, 'MIGRATION_FAILED');
    assert.match(results.get(boom)!.error!.message, /cannot invoice/);
    assert.equal(details(results.get(boom)).rolledBack, true);
    assert.equal(details(results.get(boom)).maintenance, 'closed');
    assert.equal(results.get(db('can_b'))?.status, 'succeeded');
    for (const id of others) {
      assert.equal(results.get(id)?.status, 'skipped', id);
      assert.equal(results.get(id)?.error?.code, 'NOT_STARTED');
      assert.match(results.get(id)!.error!.message, /canary wave failed/);
    }
    assert.deepEqual(
      events.filter((e) => e.type === 'wave:start').map((e) => (e.type === 'wave:start' ? e.wave : 0)),
      [1],
    );
    assert.ok(!events.some((e) => e.type === 'tenant:start' && others.includes(e.tenantId)));

    // The others: byte-for-byte what they were (no history change, same fingerprint), never backed up.
    for (const id of others) {
      assert.deepEqual(await migrationsIn(id), before.get(id)!.migrations, id);
      assert.deepEqual(
        diffKinds(compareFingerprints(before.get(id)!.fingerprint, await fingerprint(id))),
        [],
        id,
      );
      assert.equal(await flagOf(id), 'off');
      assert.ok(!existsSync(join(backupDir, id)), `${id} was backed up`);
    }
    // The failed canary: its first migration had committed; the restore took it back. Still closed.
    assert.deepEqual(await migrationsIn(boom), [BASE]);
    assert.ok(!(await columnsOf(boom, 'orders')).includes('status'));
    assert.equal(await flagOf(boom), 'on', 'a rolled-back tenant stays in maintenance');
    assert.deepEqual(diffKinds(compareFingerprints(before.get(boom)!.fingerprint, await fingerprint(boom))), [
      'public.app_settings content',
    ]);
    // The good canary is upgraded and open.
    assert.deepEqual(await migrationsIn(db('can_b')), ALL_MIGRATIONS);
    assert.equal(await flagOf(db('can_b')), 'off');

    await withJournal(journal, async (j) => {
      const rows = await runTenants(j.knex, report.runId!);
      assert.deepEqual(rows.map((r) => r.tenantId).sort(), [...CANARY_FLEET].sort());
      for (const r of rows.filter((x) => others.includes(x.tenantId))) {
        assert.equal(r.status, 'skipped');
        assert.equal(r.error?.code, 'NOT_STARTED');
        assert.equal(r.startedAt, null);
      }
      const doc = await buildFleetReport(j.knex, { runId: report.runId! });
      assert.deepEqual(doc.tenants.map((t) => t.id).sort(), [...CANARY_FLEET].sort());
      assert.equal(doc.summary.skipped, others.length);
      assert.equal(doc.summary.failed, 1);
    });
  });

  it('a non-transactional migration that half-applies then fails is restored to the exact pre-upgrade fingerprint', async () => {
    const journal = join(tmp, 'halfway.db');
    const before = await fingerprint(HALF_ROLLBACK);

    // Deep verification of the pre-upgrade backup on this run: the rollback restores a proven backup.
    const { report } = await libraryUpgrade([HALF_ROLLBACK], journal, { deepVerify: true });
    const result = report.tenants[0]!;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'MIGRATION_FAILED');
    assert.match(result.error!.message, /20250104000000_add_loyalty_no_tx\.js: loyalty: cannot backfill/);
    assert.match(result.error!.message, /rolled back to the pre-upgrade state/);
    assert.equal(details(result).rolledBack, true);
    assert.equal(details(result).maintenance, 'closed');
    assert.deepEqual(
      details(result).steps.map((s) => `${s.step}:${s.status}`),
      [
        'before-tenant:succeeded',
        'backup-pre:succeeded',
        'verify-pre:succeeded',
        'migrate:failed',
        'rollback:succeeded',
      ],
    );
    assert.deepEqual(details(result).applied, RELEASE_2.slice(0, 2), 'two migrations had committed');

    // The database: nothing of release 2 left — the committed migrations, the table and the column the
    // failed one created — and still closed (the backup was taken in maintenance).
    assert.deepEqual(await migrationsIn(HALF_ROLLBACK), [BASE]);
    assert.ok(!(await tablesIn(HALF_ROLLBACK)).includes('loyalty'));
    assert.ok(!(await tablesIn(HALF_ROLLBACK)).includes('invoices'));
    assert.ok(!(await columnsOf(HALF_ROLLBACK, 'customers')).includes('vip'));
    assert.equal(await flagOf(HALF_ROLLBACK), 'on');
    const restored = await fingerprint(HALF_ROLLBACK);
    assert.deepEqual(diffKinds(compareFingerprints(before, restored)), ['public.app_settings content']);
    // Equal to the pre-upgrade backup's own fingerprint, at its level…
    const [preDump] = readdirSync(join(backupDir, HALF_ROLLBACK))
      .filter((f) => f.endsWith('.dump'))
      .sort();
    const manifest = parseManifest(
      readFileSync(join(backupDir, HALF_ROLLBACK, `${preDump}.manifest.json`), 'utf8'),
    );
    assert.deepEqual(
      compareFingerprints(manifest.fingerprint, await fingerprint(HALF_ROLLBACK, manifest.fingerprint.level)),
      [],
    );
    assert.equal(manifest.verification?.level, 'deep');
    // …and, once the flag the before hook set is cleared, to the database as it was before the run.
    await q(HALF_ROLLBACK, HOOKS.afterTenant);
    assert.deepEqual(compareFingerprints(before, await fingerprint(HALF_ROLLBACK)), []);
    assert.deepEqual(await scratchDatabases(), [], 'the deep verification dropped its scratch database');
    await withJournal(journal, async (j) => {
      const steps = await runSteps(j.knex, report.runId!);
      const rollback = steps.find((s) => s.step === 'rollback');
      assert.equal(rollback?.status, 'succeeded');
      assert.equal(rollback?.data?.current, BASE, 'the journal knows the version the rollback left');
    });
  });

  // Another runner (or a killed run's server session, alive until its statement ends) holds the tenant:
  // the upgrade must skip it before closing or backing it up — not fail it at the migrate step and then
  // restore its pre-upgrade backup over the other runner's work.
  it('a tenant whose migration lock another runner holds is skipped, untouched: not closed, not backed up, not restored', async () => {
    const runner = new pg.Client({ connectionString: pgUrl(HELD) });
    await runner.connect();
    try {
      await runner.query("select pg_advisory_lock(x'64626631'::int, hashtext(''))");
      const { report } = await libraryUpgrade([HELD], join(tmp, 'held.db'), { lockWaitMs: 0 });
      const result = report.tenants[0]!;
      assert.equal(result.status, 'skipped', JSON.stringify(result.error));
      assert.equal(result.error?.code, 'LOCKED');
      assert.deepEqual(details(result).steps, []);
      assert.equal(details(result).maintenance, 'untouched');
      assert.equal(await flagOf(HELD), 'off', 'not closed');
      assert.ok(!existsSync(join(backupDir, HELD)), 'not backed up');
      assert.deepEqual(await migrationsIn(HELD), [BASE]);
    } finally {
      await runner.end();
    }
  });

  it('the same migration under --on-failure continue really does leave the tenant half-applied', async () => {
    const journal = join(tmp, 'halfway-continue.db');
    const { report } = await libraryUpgrade([HALF_CONTINUE], journal, { onFailure: 'continue' });
    const result = report.tenants[0]!;
    assert.equal(result.status, 'failed');
    assert.equal(details(result).rolledBack, undefined);
    // What the rollback above undid: a committed table and column without a history row.
    assert.ok((await tablesIn(HALF_CONTINUE)).includes('loyalty'));
    assert.ok((await columnsOf(HALF_CONTINUE, 'customers')).includes('vip'));
    assert.deepEqual(await migrationsIn(HALF_CONTINUE), [BASE, ...RELEASE_2.slice(0, 2)]);
    assert.equal(await flagOf(HALF_CONTINUE), 'on');
  });

  it('kill -9 of the CLI mid-run, then --resume: each migration once, no lock, no scratch database, every flag off', async () => {
    const dir = join(tmp, 'cli');
    mkdirSync(dir);
    const inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify(SLOW.map((id) => ({ id, dialect: 'postgres', connection: pgUrl(id) }))),
    );
    const journal = join(dir, 'journal.db');
    const emptyOptimizations = join(dir, 'optimizations');
    mkdirSync(emptyOptimizations);
    const startCli = upgradeCli(dir, inventory, journal, [
      '--concurrency',
      '8',
      '--per-host',
      '8',
      '--deep-verify',
    ]);
    const journalStatus = (): Record<string, number> => {
      if (!existsSync(journal)) return {};
      const sqlite = new Database(journal, { readonly: true, fileMustExist: true });
      try {
        const rows = sqlite
          .prepare('select status, count(*) as n from dbfleet_run_tenants group by status')
          .all() as { status: string; n: number }[];
        return Object.fromEntries(rows.map((r) => [r.status, r.n]));
      } catch {
        return {};
      } finally {
        sqlite.close();
      }
    };

    // 1. Start, and kill -9 once some tenants are done and others are in flight.
    const first = startCli([]);
    let atKill: Record<string, number> = {};
    const deadline = Date.now() + 60_000;
    for (;;) {
      atKill = journalStatus();
      const done = atKill.succeeded ?? 0;
      if (done >= 1 && (atKill.running ?? 0) >= 2) {
        // Best of all: kill while a deep verification's scratch database exists (the resume must sweep it).
        if ((await scratchDatabases()).length > 0 || done >= 10) break;
      }
      if (first.child.exitCode !== null || Date.now() > deadline)
        assert.fail(
          `the run ended before it could be killed: ${JSON.stringify(atKill)} ${first.out().stderr}`,
        );
      await sleep(25);
    }
    process.kill(first.child.pid!, 'SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const unfinished = SLOW.length - (journalStatus().succeeded ?? 0);
    assert.ok(unfinished >= 2, `left for the resume: ${unfinished} (${JSON.stringify(atKill)})`);

    // 2. Resume the same run. The killed runner's backends may hold their session locks a moment longer (a
    //    backend busy in a query notices its client is gone only when the query ends): wait for them.
    const second = startCli(['--resume', '--lock-wait', '10s']);
    const { code } = await second.exited;
    const { stdout, stderr } = second.out();
    assert.equal(code, 0, `resume exit ${code}\n${stderr}\n${stdout.slice(0, 2000)}`);
    const json = JSON.parse(stdout) as {
      ok: boolean;
      runId: string;
      tenants: { id: string; status: string }[];
    };
    assert.equal(json.ok, true);
    // The resumed run's report is the whole run's: the tenants the killed process finished are in it too.
    assert.deepEqual(json.tenants.map((t) => t.id).sort(), [...SLOW].sort());
    assert.ok(json.tenants.every((t) => t.status === 'succeeded'));

    // 3. The databases: every migration exactly once, everybody open again.
    for (const id of SLOW) {
      assert.deepEqual(await migrationsIn(id), ALL_MIGRATIONS, id);
      assert.equal(await flagOf(id), 'off', id);
    }
    assert.equal(await advisoryLocksOnTestDatabases(), 0, 'no advisory lock held');
    assert.deepEqual(await scratchDatabases(), [], 'no scratch database left');
    assert.equal(await connectionsTo(SLOW), 0);

    // 4. The journal: one run, resumed, finished; every tenant succeeded; no migration journaled twice.
    await withJournal(journal, async (j) => {
      const run = await findRun(j.knex, undefined, 'upgrade');
      assert.equal(run?.runId, json.runId, 'the resume continued the killed run');
      assert.equal(run?.status, 'finished');
      const rows = await runTenants(j.knex, json.runId);
      assert.deepEqual(rows.map((r) => r.tenantId).sort(), [...SLOW].sort());
      assert.ok(rows.every((r) => r.status === 'succeeded'));
      // Resumed, not restarted: each step of the runbook succeeded exactly once per tenant (a tenant killed
      // mid-upgrade kept its pre-upgrade backup and its closed maintenance window).
      const steps = await runSteps(j.knex, json.runId);
      for (const id of SLOW) {
        const succeeded = steps
          .filter((s) => s.tenantId === id && s.status === 'succeeded')
          .map((s) => s.step);
        for (const step of UPGRADE_STEPS)
          assert.equal(
            succeeded.filter((s) => s === step).length,
            1,
            `${id}: ${step} ${succeeded.join(',')}`,
          );
      }
      const ups = (await j.knex('dbfleet_run_migrations').where({ run_id: json.runId, direction: 'up' })) as {
        tenant_id: string;
        name: string;
      }[];
      const seen = new Set<string>();
      for (const u of ups) {
        const key = `${u.tenant_id} ${u.name}`;
        assert.ok(!seen.has(key), `journaled twice: ${key}`);
        seen.add(key);
      }
      const doc = await buildFleetReport(j.knex, { runId: json.runId });
      assert.deepEqual(doc.tenants.map((t) => t.id).sort(), [...SLOW].sort());
      assert.equal(doc.summary.succeeded, SLOW.length);
      assert.equal(doc.summary.unfinished, 0);
    });
  });

  // Ctrl-C while tenants are mid-migrate (one has applied a migration of this run already): they stop
  // between migrations. Rolling them back then, under the
  // aborted signal, failed (pg_restore not started) and left them half-upgraded, and the resume refused to
  // touch them; now their step is left unfinished, as a kill leaves it, and `--resume` finishes them.
  it('Ctrl-C mid-migrate, then --resume: nothing half-upgraded, every tenant finished and open', async () => {
    const dir = join(tmp, 'sigint');
    mkdirSync(dir);
    const inventory = join(dir, 'fleet.json');
    writeFileSync(
      inventory,
      JSON.stringify(INTERRUPTED.map((id) => ({ id, dialect: 'postgres', connection: pgUrl(id) }))),
    );
    const journal = join(dir, 'journal.db');
    const run = upgradeCli(dir, inventory, journal, ['--concurrency', '3']);
    const migrating = (): number => {
      if (!existsSync(journal)) return 0;
      const sqlite = new Database(journal, { readonly: true, fileMustExist: true });
      try {
        return (
          sqlite
            .prepare(
              "select count(*) as n from dbfleet_run_steps s where s.step = 'migrate' and s.status = 'running' and exists (select 1 from dbfleet_run_migrations m where m.run_id = s.run_id and m.tenant_id = s.tenant_id)",
            )
            .get() as { n: number }
        ).n;
      } catch {
        return 0;
      } finally {
        sqlite.close();
      }
    };

    const first = run([]);
    const deadline = Date.now() + 60_000;
    while (migrating() === 0) {
      if (first.child.exitCode !== null || Date.now() > deadline)
        assert.fail(`the run ended before a migrate step was seen: ${first.out().stderr}`);
      await sleep(10);
    }
    first.child.kill('SIGINT');
    assert.equal((await first.exited).code, 1);
    const interrupted = JSON.parse(first.out().stdout) as {
      tenants: { id: string; status: string; error?: { code: string; message: string } }[];
    };
    const codes = interrupted.tenants.map((t) => t.error?.code ?? t.status);
    assert.ok(codes.includes('INTERRUPTED'), codes.join(', '));
    assert.deepEqual(
      codes.filter((c) => !['succeeded', 'INTERRUPTED', 'NOT_STARTED'].includes(c)),
      [],
      JSON.stringify(interrupted.tenants.map((t) => t.error)),
    );

    const second = run(['--resume', '--lock-wait', '10s']);
    const { code } = await second.exited;
    assert.equal(code, 0, `${second.out().stderr}\n${second.out().stdout.slice(0, 2000)}`);
    for (const id of INTERRUPTED) {
      assert.deepEqual(await migrationsIn(id), ALL_MIGRATIONS, id);
      assert.equal(await flagOf(id), 'off', id);
      // The run is one knex batch, resumed or not: `rollback` of the last batch undoes all of it.
      const batches = await q(id, 'select distinct batch from knex_migrations where name = any($1)', [
        RELEASE_2,
      ]);
      assert.equal(batches.length, 1, `${id}: release 2 in batches ${JSON.stringify(batches)}`);
    }
  });

  it('the throttle probe holds every tenant back while its query reads over threshold', async () => {
    const journal = join(tmp, 'throttle.db');
    const application = `${prefix}_hold`;
    const hold = new pg.Client({ connectionString: PG_ADMIN_URL, application_name: application });
    await hold.connect();
    let released = false;
    try {
      const events: FleetEvent[] = [];
      const tenants = tenantsOf(THROTTLED);
      const prepared = await prepareUpgrade({
        tenants,
        migrations: MIGRATIONS,
        optimizations: OPTIMIZATIONS,
        checksDir: CHECKS,
        backupDir,
        journal,
        hooks: HOOKS,
      });
      const running = upgrade({
        ...prepared,
        tenants,
        concurrency: 8,
        perHost: 8,
        throttle: {
          query: `select count(*) from pg_stat_activity where application_name = '${application}'`,
          max: 0,
          interval: '100ms',
        },
        onEvent: (e) => events.push(e),
      });
      const deadline = Date.now() + 10_000;
      while (!events.some((e) => e.type === 'host:throttled') && Date.now() < deadline) await sleep(20);
      await sleep(800); // several probe intervals over threshold
      const throttled = events.find((e) => e.type === 'host:throttled');
      assert.ok(throttled?.type === 'host:throttled', 'a host:throttled event');
      assert.equal(throttled.reason, 'probe returned 1 > max 0');
      assert.ok(!events.some((e) => e.type === 'tenant:start'), 'no tenant started while over threshold');
      for (const id of THROTTLED) {
        assert.equal(await flagOf(id), 'off', `${id} was closed while throttled`);
        assert.deepEqual(await migrationsIn(id), [BASE]);
        assert.ok(!existsSync(join(backupDir, id)));
      }

      await hold.end();
      released = true;
      const report = await running;
      assert.equal(report.ok, true, JSON.stringify(report.tenants.map((t) => t.error)));
      const resumedAt = events.findIndex((e) => e.type === 'host:resumed');
      const firstStart = events.findIndex((e) => e.type === 'tenant:start');
      assert.ok(resumedAt >= 0 && firstStart > resumedAt, 'tenants started only after the host resumed');
      for (const id of THROTTLED) {
        assert.deepEqual(await migrationsIn(id), ALL_MIGRATIONS);
        assert.equal(await flagOf(id), 'off');
      }
    } finally {
      if (!released) await hold.end();
    }
  });
});
