import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type BackupDetails, backup, restoreTenant, verify } from '../../src/backup/index.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { UsageError } from '../../src/core/errors.js';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import {
  DEBIAN_BIN_ROOT,
  unwrappedToolPath,
  WRAPPER_SYSCONFDIR,
} from '../../src/dialect/postgres/debian-wrapper.js';
import { postgresAdapter } from '../../src/dialect/postgres/index.js';
import { scratchPrefix } from '../../src/dialect/postgres/scratch.js';
import { type FleetReport, toJsonReport } from '../../src/fleet/report.js';
import { runKilledDeepVerify } from '../helpers/killed-verify.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';
import { findPgDump } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const prefix = uniquePrefix('bkpg');
const root = mkdtempSync(join(tmpdir(), 'dbfleet-bkpg-'));
const PASSWORD = 'Pw-9f3c-SECRET-x7';
const SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres' };

const names = {
  a: `${prefix}_a`,
  b: `${prefix}_b`,
  big: `${prefix}_big`,
  odd: `${prefix}_o=1 'q'`, // '=' and a quote: must not turn into a connection string
  dash: `-${prefix}_dash`, // a leading '-': must not turn into an option
};

function pgTenant(id: string, connection: string | Record<string, unknown>, schema?: string): Tenant {
  // Built without the inventory loader on purpose: no password is registered for redaction, so a leak
  // could not be hidden by it.
  const p = postgresAdapter.parseConnection(connection);
  return {
    id,
    dialect: 'postgres',
    connection: p.connection,
    host: p.host,
    database: p.database,
    tags: [],
    ...(schema ? { schema } : {}),
  };
}

const A = pgTenant(`${prefix}_a`, { ...SERVER, database: names.a });
const B = pgTenant(`${prefix}_b`, { ...SERVER, database: names.b });
const BIG = pgTenant(`${prefix}_big`, { ...SERVER, database: names.big });
const ODD = pgTenant(`${prefix}_odd`, { ...SERVER, database: names.odd });
const DASH = pgTenant(`${prefix}_dash`, { ...SERVER, database: names.dash });
const BILLING = pgTenant(`${prefix}_billing`, { ...SERVER, database: names.a }, 'billing');
const PW = pgTenant(`${prefix}_pw`, `postgres://postgres:${PASSWORD}@127.0.0.1:5432/${names.a}`);

const SEED = `
  create type mood as enum ('happy', 'sad');
  create table customers (id serial primary key, name text not null unique, mood mood default 'happy');
  create table orders (id bigserial primary key, customer_id int not null references customers (id),
    total numeric(10, 2) not null check (total >= 0), note text);
  create index orders_customer_idx on orders (customer_id);
  create table order_items (order_id bigint references orders (id) on delete cascade, sku text, qty int,
    primary key (order_id, sku));
  create view big_spenders as select customer_id, sum(total) as spent from orders group by 1;
  create schema billing;
  create table billing.invoices (id int generated always as identity primary key, order_id bigint, amount numeric);
  insert into customers (name) select 'c' || i from generate_series(1, 40) i;
  insert into orders (customer_id, total) select 1 + i % 40, i from generate_series(1, 120) i;
  insert into order_items select o.id, 'sku' || s, s from orders o, generate_series(1, 2) s;
  insert into billing.invoices (order_id, amount) select id, total from orders where id % 3 = 0;`;

async function connect(database: string): Promise<pg.Client> {
  const client = new pg.Client({ ...SERVER, database });
  await client.connect();
  return client;
}

async function sql<T = Record<string, unknown>>(database: string, text: string): Promise<T[]> {
  const client = await connect(database);
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

async function count(database: string, table: string): Promise<number> {
  return Number((await sql<{ n: string }>(database, `select count(*) as n from ${table}`))[0]?.n);
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>(
    'select datname from pg_database where starts_with(datname, $1)',
    [`dbfleet_verify_${prefix}`],
  );
  return rows.map((r) => r.datname);
}

function details(report: FleetReport, id: string): BackupDetails {
  const t = report.tenants.find((x) => x.id === id);
  assert.ok(t, `no result for ${id}`);
  return t.details as unknown as BackupDetails;
}

function resultOf(report: FleetReport, id: string) {
  const t = report.tenants.find((x) => x.id === id);
  assert.ok(t, `no result for ${id}`);
  return t;
}

function readManifest(backupPath: string): BackupManifest {
  return JSON.parse(readFileSync(`${backupPath}.manifest.json`, 'utf8'));
}

/** A copy of a backup and its manifest in another directory (to damage without touching the original). */
function cloneBackup(path: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, basename(path));
  copyFileSync(path, copy);
  copyFileSync(`${path}.manifest.json`, `${copy}.manifest.json`);
  return copy;
}

function fakeTool(name: string, body: string): string {
  const dir = join(root, 'bin', name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'pg_dump');
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** The pid of a running pg_dump whose conninfo names this database. */
before(async () => {
  await createDatabases(Object.values(names));
  await Promise.all(
    Object.values(names).map(async (db) => {
      const client = await connect(db);
      try {
        await client.query(SEED);
        if (db === names.big) {
          await client.query(
            'create unlogged table big (id int, payload text); insert into big select i, md5(i::text) from generate_series(1, 150000) i',
          );
        }
      } finally {
        await client.end();
      }
    }),
  );
});

after(async () => {
  await dropDatabases(prefix);
  await dropDatabases(`-${prefix}`);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  rmSync(root, { recursive: true, force: true });
});

describe('backup, verify and restore on PostgreSQL', () => {
  const bk = join(root, 'backups');

  test('backs up several tenants concurrently: private files, complete manifests, the --json shape', {
    timeout: 60_000,
  }, async () => {
    const events: FleetEvent[] = [];
    const report = await backup({
      tenants: [A, ODD, DASH, BILLING],
      backupDir: bk,
      concurrency: 4,
      onEvent: (e) => events.push(e),
    });
    assert.equal(report.summary.succeeded, 4, JSON.stringify(report.tenants.map((t) => t.error)));
    const serverVersion = (
      await sql<{ v: string }>(names.a, "select current_setting('server_version') as v")
    )[0]?.v;

    for (const tenant of [A, ODD, DASH, BILLING]) {
      const d = details(report, tenant.id);
      assert.ok(d.backup);
      assert.equal(d.backup.verified, 'light');
      assert.match(d.backup.path, new RegExp(`^${bk}/${tenant.id}/\\d{8}T\\d{9}Z\\.dump$`));
      const st = statSync(d.backup.path);
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(statSync(dirname(d.backup.path)).mode & 0o777, 0o700);
      assert.equal(d.backup.bytes, st.size);
      assert.equal(d.backup.sha256, createHash('sha256').update(readFileSync(d.backup.path)).digest('hex'));
      assert.equal(statSync(`${d.backup.path}.manifest.json`).mode & 0o777, 0o600);
      // Nothing else in the tenant's directory: no partial file, no probe.
      assert.deepEqual(readdirSync(dirname(d.backup.path)).sort(), [
        basename(d.backup.path),
        `${basename(d.backup.path)}.manifest.json`,
      ]);

      const m = readManifest(d.backup.path);
      assert.equal(m.tenant, tenant.id);
      assert.equal(m.dialect, 'postgres');
      assert.equal(m.server_version, serverVersion);
      assert.equal(m.tool, 'pg_dump');
      assert.match(m.tool_version, /^\d+\.\d+/);
      assert.equal(m.bytes, st.size);
      assert.equal(m.sha256, d.backup.sha256);
      assert.ok(Math.abs(Date.parse(m.created_at) - Date.now()) < 120_000);
      assert.equal(m.fingerprint.level, 'counts');
      assert.deepEqual(m.verification && { level: m.verification.level, ok: m.verification.ok }, {
        level: 'light',
        ok: true,
      });
    }

    const full = readManifest(details(report, A.id).backup!.path).fingerprint;
    assert.deepEqual(Object.fromEntries(Object.entries(full.tables).map(([k, v]) => [k, v.rows])), {
      'billing.invoices': 40,
      'public.customers': 40,
      'public.order_items': 240,
      'public.orders': 120,
    });
    assert.ok(full.objects['type public.mood'] && full.objects['view public.big_spenders']);
    // A schema tenant's backup and fingerprint hold its schema only.
    assert.deepEqual(Object.keys(readManifest(details(report, BILLING.id).backup!.path).fingerprint.tables), [
      'billing.invoices',
    ]);
    // The odd database names were dumped, not mistaken for options or connection strings.
    assert.equal(
      readManifest(details(report, DASH.id).backup!.path).fingerprint.tables['public.orders']?.rows,
      120,
    );

    const json = toJsonReport(report) as { tenants: Record<string, unknown>[] };
    for (const t of json.tenants) {
      const backup = t.backup as Record<string, unknown>;
      assert.deepEqual(Object.keys(backup).sort(), ['bytes', 'path', 'sha256', 'verified']);
    }
    const steps = events
      .filter((e) => e.type === 'step:done' && e.tenantId === A.id)
      .map((e) => (e as { step: string }).step);
    assert.deepEqual(steps, ['backup', 'verify:light']);
  });

  test('deep verification restores into a scratch database, checks it, compares the fingerprint and drops it', {
    timeout: 60_000,
  }, async () => {
    const report = await verify({ tenants: [A, ODD, DASH, BILLING], backupDir: bk, deep: true });
    assert.equal(report.summary.succeeded, 4, JSON.stringify(report.tenants.map((t) => t.error)));
    for (const tenant of [A, ODD, DASH, BILLING]) {
      const d = details(report, tenant.id);
      assert.equal(d.backup?.verified, 'deep');
      assert.deepEqual(
        d.checks?.map((c) => c.check),
        ['manifest', 'file', 'sha256', 'archive', 'restore', 'integrity', 'fingerprint', 'cleanup'],
      );
      assert.match(
        d.checks?.find((c) => c.check === 'restore')?.detail ?? '',
        new RegExp(`^${scratchPrefix(tenant)}\\d+$`),
      );
      assert.equal(readManifest(d.backup!.path).verification?.level, 'deep');
    }
    assert.deepEqual(await scratchDatabases(), []);

    // --sample 1: one tenant deep, the rest light.
    const sampled = await verify({ tenants: [A, ODD, DASH], backupDir: bk, sample: 1 });
    const levels = sampled.tenants
      .map((t) => (t.details as unknown as BackupDetails).backup?.verified)
      .sort();
    assert.deepEqual(levels, ['deep', 'light', 'light']);
  });

  test('a deep verification that finds a difference names table, expected and found, and still drops the scratch database', {
    timeout: 60_000,
  }, async () => {
    const latest = details(await verify({ tenants: [A], backupDir: bk }), A.id).backup!.path;
    const copy = cloneBackup(latest, join(root, 'edited'));
    const m = readManifest(copy);
    const customersSchema = m.fingerprint.tables['public.customers']!.schema;
    m.fingerprint.tables['public.orders']!.rows = 121;
    m.fingerprint.tables['public.customers']!.schema = 'not-this';
    writeFileSync(`${copy}.manifest.json`, JSON.stringify(m));

    const report = await verify({ tenants: [A], backupDir: bk, backup: copy, deep: true });
    const r = resultOf(report, A.id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'FINGERPRINT_MISMATCH');
    assert.match(r.error?.message ?? '', /public\.orders: rows expected 121, found 120/);
    const d = details(report, A.id);
    assert.deepEqual(d.differences, [
      { table: 'public.customers', what: 'schema', expected: 'not-this', found: customersSchema },
      { table: 'public.orders', what: 'rows', expected: 121, found: 120 },
    ]);
    assert.equal(d.backup?.verified, false);
    assert.deepEqual(d.checks?.at(-1), { check: 'cleanup', ok: true, detail: d.checks?.at(-1)?.detail });
    assert.deepEqual(await scratchDatabases(), []);
    assert.equal(readManifest(copy).verification?.ok, false);
  });

  test('truncated, bit-flipped, empty and unreadable backups fail verification naming the reason; restore refuses them', {
    timeout: 60_000,
  }, async () => {
    const good = details(await backup({ tenants: [B], backupDir: bk }), B.id).backup!.path;
    await sql(names.b, "insert into customers (name) values ('marker')");
    const truncated = cloneBackup(good, join(root, 'bad', 'truncated'));
    truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
    const flipped = cloneBackup(good, join(root, 'bad', 'flipped'));
    const bytes = readFileSync(flipped);
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0x10, middle);
    writeFileSync(flipped, bytes);
    const empty = cloneBackup(good, join(root, 'bad', 'empty'));
    truncateSync(empty, 0);
    // Not a dump at all, but with a manifest that matches its size and hash: the archive check catches it.
    const garbage = cloneBackup(good, join(root, 'bad', 'garbage'));
    writeFileSync(garbage, 'PGDMP but not really a custom-format archive');
    const gm = readManifest(garbage);
    gm.bytes = statSync(garbage).size;
    gm.sha256 = createHash('sha256').update(readFileSync(garbage)).digest('hex');
    writeFileSync(`${garbage}.manifest.json`, JSON.stringify(gm));

    const cases: [string, string, RegExp][] = [
      [truncated, 'BACKUP_TRUNCATED', /is truncated: \d+ bytes, the manifest says \d+/],
      [flipped, 'BACKUP_CHECKSUM_MISMATCH', /sha256 [0-9a-f]{64} is not the manifest's/],
      [empty, 'BACKUP_EMPTY', /is empty \(0 bytes; the manifest says \d+\)/],
      [garbage, 'BACKUP_UNREADABLE', /pg_restore --list cannot read the archive/],
    ];
    for (const [path, code, reason] of cases) {
      const v = resultOf(await verify({ tenants: [B], backupDir: bk, backup: path, deep: true }), B.id);
      assert.equal(v.status, 'failed', path);
      assert.equal(v.error?.code, code);
      assert.match(v.error?.message ?? '', reason);
      // Deep verification never got to a scratch database for a file that fails the light checks.
      assert.ok(!(v.details as unknown as BackupDetails).checks?.some((c) => c.check === 'restore'));

      const r = resultOf(await restoreTenant({ tenant: B, backupDir: bk, backup: path, yes: true }), B.id);
      assert.equal(r.status, 'failed');
      assert.equal(r.error?.code, 'RESTORE_REFUSED');
      assert.match(r.error?.message ?? '', new RegExp(`\\[${code}\\]`));
      assert.equal((r.details as unknown as BackupDetails).restored, false);
    }
    assert.equal(await count(names.b, "customers where name = 'marker'"), 1, 'nothing was restored');
    assert.equal(
      resultOf(await verify({ tenants: [B], backupDir: bk, backup: good }), B.id).status,
      'succeeded',
    );
  });

  // Another runner migrating the tenant holds its migration lock: a restore must not replace the
  // database under it (both would report success, the history and the tables no longer agreeing).
  test("restore takes the tenant's migration lock: a tenant another runner holds is skipped, untouched", async () => {
    await sql(names.a, 'create table during_other_run (x int)');
    const runner = new pg.Client({ connectionString: pgUrl(names.a) });
    await runner.connect();
    try {
      await runner.query("select pg_advisory_lock(x'64626631'::int, hashtext(''))");
      const r = resultOf(
        await restoreTenant({ tenant: A, backupDir: bk, yes: true, dropUnexpected: true }),
        A.id,
      );
      assert.equal(r.status, 'skipped', JSON.stringify(r.error));
      assert.equal(r.error?.code, 'LOCKED');
      assert.equal(
        await count(names.a, 'during_other_run'),
        0,
        'the table the other run made is still there',
      );
    } finally {
      await runner.end();
    }
    await sql(names.a, 'drop table during_other_run');
  });

  test('restore rolls a tenant back to its verified backup and proves it with the fingerprint', {
    timeout: 60_000,
  }, async () => {
    await sql(
      names.a,
      'delete from order_items; update customers set mood = null; alter table orders add column extra int; create table added_later (x int); drop view big_spenders; create view added_view as select 1 as one',
    );
    await assert.rejects(restoreTenant({ tenant: A, backupDir: bk, yes: false }), UsageError);

    const refused = resultOf(await restoreTenant({ tenant: A, backupDir: bk, yes: true }), A.id);
    assert.equal(refused.error?.code, 'RESTORE_UNEXPECTED_OBJECTS');
    assert.match(
      refused.error?.message ?? '',
      /public\.added_later, view public\.added_view; nothing was changed/,
    );
    assert.equal(await count(names.a, 'added_later'), 0, 'the extra table is still there');
    assert.equal(await count(names.a, 'order_items'), 0);

    const report = await restoreTenant({ tenant: A, backupDir: bk, yes: true, dropUnexpected: true });
    const r = resultOf(report, A.id);
    assert.equal(r.status, 'succeeded', JSON.stringify(r.error));
    assert.equal(await count(names.a, 'order_items'), 240);
    assert.equal(await count(names.a, "customers where mood = 'happy'"), 40);
    const leftovers = await sql(
      names.a,
      "select 1 from pg_class where relname = 'added_later' union all select 1 from pg_attribute where attname = 'extra' and attrelid = 'orders'::regclass",
    );
    assert.deepEqual(leftovers, []);
    assert.deepEqual((r.details as unknown as BackupDetails).checks?.at(-1)?.check, 'fingerprint');

    assert.equal(await count(names.a, 'big_spenders'), 40, 'the dropped view is back');
    assert.deepEqual(await sql(names.a, "select 1 from pg_class where relname = 'added_view'"), []);

    // A schema tenant restores its schema only.
    await sql(
      names.a,
      "delete from billing.invoices; insert into customers (name) values ('outside the schema')",
    );
    const billing = resultOf(await restoreTenant({ tenant: BILLING, backupDir: bk, yes: true }), BILLING.id);
    assert.equal(billing.status, 'succeeded', JSON.stringify(billing.error));
    assert.equal(await count(names.a, 'billing.invoices'), 40);
    assert.equal(await count(names.a, "customers where name = 'outside the schema'"), 1);

    // Databases named like an option or a connection string restore too.
    for (const [tenant, db] of [
      [DASH, names.dash],
      [ODD, names.odd],
    ] as const) {
      await sql(db, 'delete from order_items where qty = 2');
      const rr = resultOf(await restoreTenant({ tenant, backupDir: bk, yes: true }), tenant.id);
      assert.equal(rr.status, 'succeeded', JSON.stringify(rr.error));
      assert.equal(await count(db, 'order_items'), 240);
    }
  });

  test('retention keeps the newest verified backups and deletes nothing when a backup fails or is empty', {
    timeout: 60_000,
  }, async () => {
    const dir = join(bk, B.id);
    const listDumps = () =>
      readdirSync(dir)
        .filter((n) => n.endsWith('.dump'))
        .sort();
    await backup({ tenants: [B], backupDir: bk, keep: 2 });
    const r = await backup({ tenants: [B], backupDir: bk, keep: 2 });
    const kept = listDumps();
    assert.equal(kept.length, 2);
    assert.equal(details(r, B.id).retention?.kept, 2);
    assert.equal(details(r, B.id).retention?.deleted.length, 1);

    const emptyDump = fakeTool('empty', 'if [ "$1" = "--version" ]; then exec pg_dump --version; fi\nexit 0');
    const e = resultOf(
      await backup({ tenants: [B], backupDir: bk, keep: 1, tools: { bin: { pg_dump: emptyDump } } }),
      B.id,
    );
    assert.equal(e.status, 'failed');
    assert.equal(e.error?.code, 'BACKUP_EMPTY');
    assert.match(e.error?.message ?? '', /reported success but wrote 0 bytes/);

    const oldDump = fakeTool('old', 'echo "pg_dump (PostgreSQL) 9.6.24"');
    const o = resultOf(
      await backup({ tenants: [B], backupDir: bk, keep: 1, tools: { bin: { pg_dump: oldDump } } }),
      B.id,
    );
    assert.equal(o.status, 'failed');
    assert.equal(o.error?.code, 'TOOL_TOO_OLD');
    assert.match(o.error?.message ?? '', /pg_dump 9\.6\.24 is older than the server \(PostgreSQL 1\d\.\d+/);

    assert.deepEqual(listDumps(), kept, 'a failed backup deleted nothing');
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('.')),
      [],
      'no partial file left',
    );
  });

  test('pg_dump terminated mid-way: the tenant fails, no final file, older backups stay', {
    timeout: 60_000,
  }, async () => {
    const first = details(
      await backup({ tenants: [BIG], backupDir: bk, fingerprintLevel: 'schema' }),
      BIG.id,
    );
    assert.equal(first.backup?.verified, 'light');
    const dir = join(bk, BIG.id);
    const running = backup({ tenants: [BIG], backupDir: bk, keep: 1, fingerprintLevel: 'schema' });
    const pid = await waitFor('pg_dump copying the big table', async () => {
      const rows = await adminQuery<{ pid: number }>(
        "select pid from pg_stat_activity where application_name = $1 and query ilike 'copy %big%'",
        [`dbfleet pg_dump ${BIG.id}`],
      );
      return rows[0]?.pid;
    });
    const partial = readdirSync(dir).find((n) => n.includes('.partial-'));
    assert.ok(partial, 'pg_dump writes into a temporary file');
    await adminQuery('select pg_terminate_backend($1)', [pid]);
    const r = resultOf(await running, BIG.id);
    assert.equal(r.status, 'failed');
    assert.equal(r.error?.code, 'CONNECTION_LOST');
    assert.match(r.error?.message ?? '', /pg_dump failed/);
    assert.deepEqual(readdirSync(dir).sort(), [
      basename(first.backup!.path),
      `${basename(first.backup!.path)}.manifest.json`,
    ]);
  });

  test('a password in the tenant URL is not on the command line, in the environment, the report, the manifest or errors', {
    timeout: 60_000,
  }, async () => {
    const lock = await connect(names.a);
    // A sequence: the fingerprint (taken first) never reads one, pg_dump waits on it while dumping data.
    // A rename locks it exclusively (ALTER SEQUENCE … CACHE would not block pg_dump's read); rolled back.
    await lock.query('begin; alter sequence public.customers_id_seq rename to customers_id_seq_held');
    const events: FleetEvent[] = [];
    const running = backup({
      tenants: [PW],
      backupDir: join(root, 'pw'),
      onEvent: (e) => events.push(e),
    });
    let passfileDir = '';
    try {
      const pid = await waitFor('pg_dump to start', () => findPgDump(names.a));
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      assert.ok(!cmdline.includes(PASSWORD), 'password on the command line');
      assert.ok(!environ.some((v) => v.includes(PASSWORD)), 'password in the environment');
      const passfile = environ.find((v) => v.startsWith('PGPASSFILE='))?.slice('PGPASSFILE='.length);
      assert.ok(passfile, 'the password goes through PGPASSFILE');
      assert.equal(statSync(passfile).mode & 0o777, 0o600);
      passfileDir = dirname(passfile);
      assert.equal(statSync(passfileDir).mode & 0o777, 0o700);
      assert.ok(readFileSync(passfile, 'utf8').includes(PASSWORD));
      // Where Debian's pg_wrapper stands in front of pg_dump, dbfleet runs the versioned binary and sets
      // what the wrapper would have set: libpq reads pg_service.conf from /etc/postgresql-common.
      const unwrapped = unwrappedToolPath('pg_dump', {
        path: process.env.PATH ?? '',
        binRoot: DEBIAN_BIN_ROOT,
      });
      if (unwrapped) {
        assert.equal(cmdline.split('\0')[0], unwrapped);
        assert.ok(environ.includes(`PGSYSCONFDIR=${WRAPPER_SYSCONFDIR}`), environ.join(' '));
      }
    } finally {
      await lock.query('rollback');
      await lock.end();
    }
    const report = await running;
    assert.equal(resultOf(report, PW.id).status, 'succeeded', JSON.stringify(resultOf(report, PW.id).error));
    assert.ok(!existsSync(passfileDir), 'the password file is removed after the run');
    const manifest = readFileSync(`${details(report, PW.id).backup!.path}.manifest.json`, 'utf8');
    for (const text of [JSON.stringify(toJsonReport(report)), JSON.stringify(events), manifest]) {
      assert.ok(!text.includes(PASSWORD));
    }

    // A tool that prints all it was given into its error output: the error still holds no password.
    const blabber = fakeTool(
      'blabber',
      'if [ "$1" = "--version" ]; then exec pg_dump --version; fi\nenv | grep ^PG >&2; echo "$@" >&2; exit 1',
    );
    const failed = await backup({
      tenants: [PW],
      backupDir: join(root, 'pw'),
      tools: { bin: { pg_dump: blabber } },
    });
    const error = resultOf(failed, PW.id).error;
    assert.equal(error?.code, 'BACKUP_TOOL_FAILED');
    // The environment and the arguments really were echoed.
    assert.match(error?.message ?? '', /PGPASSFILE=.*--dbname=dbname=/);
    // A tool path given by the caller is run as it is: no wrapper, so nothing of the wrapper's is set.
    assert.doesNotMatch(error?.message ?? '', /PGSYSCONFDIR/);
    assert.ok(!JSON.stringify(toJsonReport(failed)).includes(PASSWORD));
  });

  test('a fleet backup holds at most concurrency + 2 connections; a dump taken while the app writes matches its fingerprint', {
    timeout: 90_000,
  }, async () => {
    const fleetNames = Array.from({ length: 12 }, (_, i) => `${prefix}_cx${i}`);
    await createDatabases(fleetNames);
    await Promise.all(
      fleetNames.map(async (db) => {
        const client = await connect(db);
        await client.query(SEED).finally(() => client.end());
      }),
    );
    const fleet = fleetNames.map((db) => pgTenant(db, { ...SERVER, database: db }));
    const writer = await connect(fleetNames[0]!);
    let writing = true;
    let inserted = 0;
    const writes = (async () => {
      while (writing) {
        await writer.query("insert into customers (name) values ('w' || clock_timestamp())");
        inserted++;
      }
    })();
    let sampling = true;
    let peak = 0;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await adminQuery<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where starts_with(datname, $1) and starts_with(application_name, 'dbfleet')",
          [`${prefix}_cx`],
        );
        peak = Math.max(peak, row?.n ?? 0);
        await sleep(5);
      }
    })();
    const dir = join(root, 'caps');
    try {
      const report = await backup({ tenants: fleet, backupDir: dir, concurrency: 6, perHost: 6 });
      assert.equal(report.summary.succeeded, 12, JSON.stringify(report.tenants.map((t) => t.error)));
    } finally {
      sampling = false;
      writing = false;
      await Promise.all([sampler, writes]);
      await writer.end();
    }
    // Each tenant used two connections only while its pg_dump started: 12 would be two each.
    assert.ok(peak > 0 && peak <= 6 + 2, `peak ${peak} connections at concurrency 6`);
    assert.ok(inserted > 0, 'the application wrote during the backup');
    // The dump and its manifest's fingerprint come from one snapshot, writes or not.
    const verified = await verify({ tenants: [fleet[0]!], backupDir: dir, deep: true });
    assert.equal(verified.summary.succeeded, 1, JSON.stringify(verified.tenants[0]?.error));
  });

  test('an interrupted deep verification leaves a scratch database that the next run drops — but not one a live run owns', {
    timeout: 60_000,
  }, async () => {
    const { code, signal, stderr } = await runKilledDeepVerify(A, bk);
    assert.equal(signal, 'SIGKILL', `child exited with ${code}: ${stderr}`);
    const [abandoned] = await scratchDatabases();
    assert.ok(abandoned?.startsWith(scratchPrefix(A)), 'the killed run left its scratch database');
    // The killed process's connection is gone once the server notices the closed socket.
    await waitFor("the killed run's session to end", async () => {
      const rows = await adminQuery(
        "select 1 from pg_stat_activity where datname = $1 and application_name = 'dbfleet'",
        [names.a],
      );
      return rows.length === 0 ? true : undefined;
    });

    // Another run's scratch database, still owned (its lock is held).
    const owned = `${scratchPrefix(A)}77`;
    await adminQuery(`create database "${owned}"`);
    const owner = await connect(names.a);
    await owner.query('select pg_advisory_lock($1, hashtext($2))', [0x64626676, owned]);
    const ownerPid = (await owner.query('select pg_backend_pid() as pid')).rows[0].pid;

    const next = await verify({ tenants: [A], backupDir: bk });
    assert.equal(resultOf(next, A.id).status, 'succeeded');
    assert.deepEqual(details(next, A.id).swept, [abandoned]);
    assert.deepEqual(await scratchDatabases(), [owned]);

    await owner.end();
    await waitFor("the owner's session to end", async () => {
      const rows = await adminQuery('select 1 from pg_stat_activity where pid = $1', [ownerPid]);
      return rows.length === 0 ? true : undefined;
    });
    const later = await verify({ tenants: [A], backupDir: bk });
    assert.deepEqual(details(later, A.id).swept, [owned]);
    assert.deepEqual(await scratchDatabases(), []);
  });
});
