import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
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
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { type BackupDetails, backup, restoreTenant, verify } from '../../src/backup/index.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { UsageError } from '../../src/core/errors.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { makeUnwritable } from '../helpers/fs.js';
import { runKilledDeepVerify } from '../helpers/killed-verify.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-bksqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
const bk = join(root, 'backups');

const SEED = `
  create table customers (id integer primary key, name text not null unique, score real, avatar blob);
  create table orders (id integer primary key autoincrement, customer_id int not null references customers (id),
    total numeric not null check (total >= 0));
  create index orders_customer on orders (customer_id);
  create table tags (name text primary key, n int) without rowid;
  create view totals as select customer_id, sum(total) as spent from orders group by 1;
  create trigger orders_touch after insert on orders begin update customers set score = score + 1 where id = new.customer_id; end;
  with recursive s(i) as (select 1 union all select i + 1 from s where i < 40)
    insert into customers (name, score, avatar) select 'c' || i, i / 3.0, randomblob(16) from s;
  with recursive s(i) as (select 1 union all select i + 1 from s where i < 300)
    insert into orders (customer_id, total) select 1 + i % 40, i * 1.5 from s;
  insert into tags values ('a', 1), ('b', 2);`;

function sqliteTenant(id: string, file: string): Tenant {
  const p = sqliteAdapter.parseConnection(file);
  return { id, dialect: 'sqlite', connection: p.connection, host: p.host, database: p.database, tags: [] };
}

function makeDb(name: string, mode: 'wal' | 'delete', extraRows = 0): Tenant {
  const file = join(root, 'dbs', `${name}.sqlite`);
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma(`journal_mode = ${mode}`);
  db.exec(SEED);
  if (extraRows) {
    db.exec(`create table filler (id integer primary key, payload text);
      with recursive s(i) as (select 1 union all select i + 1 from s where i < ${extraRows})
      insert into filler (payload) select hex(randomblob(100)) from s;`);
  }
  db.close();
  return sqliteTenant(name, file);
}

function withDb<T>(tenant: Tenant, fn: (db: Database.Database) => T): T {
  const db = new Database(tenant.database);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const countOf = (tenant: Tenant, table: string) =>
  withDb(tenant, (db) => (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n);

function resultOf(report: FleetReport, id: string) {
  const t = report.tenants.find((x) => x.id === id);
  assert.ok(t, `no result for ${id}`);
  return t;
}
const details = (report: FleetReport, id: string) => resultOf(report, id).details as unknown as BackupDetails;
const manifestOf = (path: string): BackupManifest =>
  JSON.parse(readFileSync(`${path}.manifest.json`, 'utf8'));

function cloneBackup(path: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, basename(path));
  copyFileSync(path, copy);
  copyFileSync(`${path}.manifest.json`, `${copy}.manifest.json`);
  return copy;
}

const wal = makeDb('wal', 'wal', 20_000); // ~4 MB: the backup API copies it in several steps
const plain = makeDb('plain', 'delete');

describe('backup, verify and restore on SQLite', () => {
  test('backs up with the online backup API: private files, manifest, a copy that opens on its own', {
    timeout: 60_000,
  }, async () => {
    const report = await backup({ tenants: [wal, plain], backupDir: bk, fingerprintLevel: 'full' });
    assert.equal(report.summary.succeeded, 2, JSON.stringify(report.tenants.map((t) => t.error)));
    for (const tenant of [wal, plain]) {
      const d = details(report, tenant.id);
      assert.equal(d.backup?.verified, 'light');
      assert.match(d.backup?.path ?? '', new RegExp(`^${bk}/${tenant.id}/\\d{8}T\\d{9}Z\\.sqlite$`));
      const path = d.backup!.path;
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(dirname(path)).mode & 0o777, 0o700);
      assert.equal(d.backup?.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'));
      const m = manifestOf(path);
      assert.equal(m.tool, 'sqlite-backup-api');
      assert.equal(m.dialect, 'sqlite');
      assert.equal(m.fingerprint.level, 'full');
      assert.deepEqual(Object.keys(m.fingerprint.objects), ['trigger orders_touch', 'view totals']);
      assert.equal(m.fingerprint.tables.orders?.rows, 300);
      assert.match(m.fingerprint.tables.customers?.content ?? '', /^[0-9a-f]{32}$/);
      // The copy is a standalone database in rollback-journal mode: it opens read-only with no -wal file.
      const copy = new Database(path, { readonly: true, fileMustExist: true });
      try {
        assert.equal(copy.pragma('journal_mode', { simple: true }), 'delete');
        assert.equal((copy.prepare('select count(*) as n from customers').get() as { n: number }).n, 40);
      } finally {
        copy.close();
      }
      assert.deepEqual(readdirSync(dirname(path)).sort(), [
        basename(path),
        `${basename(path)}.manifest.json`,
      ]);
    }
  });

  test('the backup is a consistent snapshot while another connection keeps writing', {
    timeout: 60_000,
  }, async () => {
    const writer = new Database(wal.database);
    writer.pragma('busy_timeout = 5000');
    let writes = 0;
    let writing = true;
    const loop = () => {
      if (!writing) return;
      writer.prepare('insert into orders (customer_id, total) values (1, 1)').run();
      writes++;
      setImmediate(loop);
    };
    setImmediate(loop);
    const report = await backup({
      tenants: [wal],
      backupDir: bk,
      verify: 'deep',
      fingerprintLevel: 'full',
    });
    writing = false;
    writer.close();
    const d = details(report, wal.id);
    assert.equal(
      resultOf(report, wal.id).status,
      'succeeded',
      JSON.stringify(resultOf(report, wal.id).error),
    );
    assert.equal(d.backup?.verified, 'deep');
    assert.ok(writes > 0, 'the writer ran during the backup');
    const rowsInBackup = manifestOf(d.backup!.path).fingerprint.tables.orders?.rows ?? 0;
    assert.ok(rowsInBackup >= 300 && countOf(wal, 'orders') === 300 + writes);
  });

  test('deep verification restores into a temporary file, checks it, compares, removes it', {
    timeout: 60_000,
  }, async () => {
    const report = await verify({ tenants: [wal, plain], backupDir: bk, deep: true });
    for (const tenant of [wal, plain]) {
      const d = details(report, tenant.id);
      assert.equal(
        resultOf(report, tenant.id).status,
        'succeeded',
        JSON.stringify(resultOf(report, tenant.id).error),
      );
      assert.equal(d.backup?.verified, 'deep');
      assert.deepEqual(
        d.checks?.map((c) => c.check),
        ['manifest', 'file', 'sha256', 'archive', 'restore', 'integrity', 'fingerprint', 'cleanup'],
      );
      assert.deepEqual(
        readdirSync(join(bk, tenant.id)).filter((n) => n.startsWith('.')),
        [],
      );
    }
  });

  test('truncated, bit-flipped, empty and internally corrupt copies fail verification; restore refuses them', {
    timeout: 60_000,
  }, async () => {
    const good = details(await verify({ tenants: [plain], backupDir: bk }), plain.id).backup!.path;
    const truncated = cloneBackup(good, join(root, 'bad', 'truncated'));
    truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
    const flipped = cloneBackup(good, join(root, 'bad', 'flipped'));
    const bytes = readFileSync(flipped);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0x01, bytes.length - 100);
    writeFileSync(flipped, bytes);
    const empty = cloneBackup(good, join(root, 'bad', 'empty'));
    truncateSync(empty, 0);
    // Damaged inside (a b-tree page header) but with a manifest that matches: integrity_check catches it.
    const corrupt = cloneBackup(good, join(root, 'bad', 'corrupt'));
    const cb = readFileSync(corrupt);
    const pageSize = cb.readUInt16BE(16);
    cb.fill(0xff, pageSize + 1, pageSize + 12); // page 2: first freeblock, cell count, content offset
    writeFileSync(corrupt, cb);
    const m = manifestOf(corrupt);
    m.sha256 = createHash('sha256').update(cb).digest('hex');
    writeFileSync(`${corrupt}.manifest.json`, JSON.stringify(m));

    await withDb(plain, (db) => db.exec("insert into tags values ('marker', 0)"));
    const cases: [string, string][] = [
      [truncated, 'BACKUP_TRUNCATED'],
      [flipped, 'BACKUP_CHECKSUM_MISMATCH'],
      [empty, 'BACKUP_EMPTY'],
      [corrupt, 'BACKUP_UNREADABLE'],
    ];
    for (const [path, code] of cases) {
      const v = resultOf(
        await verify({ tenants: [plain], backupDir: bk, backup: path, deep: true }),
        plain.id,
      );
      assert.equal(v.status, 'failed', path);
      assert.equal(v.error?.code, code, v.error?.message);
      const r = resultOf(
        await restoreTenant({ tenant: plain, backupDir: bk, backup: path, yes: true }),
        plain.id,
      );
      assert.equal(r.error?.code, 'RESTORE_REFUSED');
      assert.match(r.error?.message ?? '', new RegExp(`\\[${code}\\]`));
    }
    assert.equal(countOf(plain, "tags where name = 'marker'"), 1, 'nothing was restored');
  });

  test('restore brings the tenant back to its latest verified backup, WAL mode kept', {
    timeout: 60_000,
  }, async () => {
    withDb(wal, (db) => db.exec('delete from orders; drop view totals; create table added_later (x)'));
    const expected = manifestOf(
      details(await verify({ tenants: [wal], backupDir: bk }), wal.id).backup!.path,
    );
    const report = await restoreTenant({ tenant: wal, backupDir: bk, yes: true });
    assert.equal(
      resultOf(report, wal.id).status,
      'succeeded',
      JSON.stringify(resultOf(report, wal.id).error),
    );
    assert.equal(countOf(wal, 'orders'), expected.fingerprint.tables.orders?.rows);
    withDb(wal, (db) => {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(
        db.prepare("select name from sqlite_master where name in ('added_later', 'totals')").all(),
        [{ name: 'totals' }],
      );
      assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    });
  });

  test('an interrupted deep verification leaves a temporary file that the next run removes', {
    timeout: 60_000,
  }, async () => {
    const { signal, stderr } = await runKilledDeepVerify(plain, bk);
    assert.equal(signal, 'SIGKILL', stderr);
    const dir = join(bk, plain.id);
    const left = readdirSync(dir).filter((n) => n.startsWith('.dbfleet_verify_'));
    assert.equal(left.length, 1, 'the killed run left its scratch file');

    // One owned by a live process is left alone.
    const sleeper = spawn('sleep', ['30']);
    const host =
      hostname()
        .replace(/[^A-Za-z0-9-]/g, '-')
        .slice(0, 40) || 'host';
    const live = `.dbfleet_verify_${host}_${sleeper.pid}_abcd.sqlite`;
    writeFileSync(join(dir, live), '');
    try {
      const report = await verify({ tenants: [plain], backupDir: bk });
      assert.equal(resultOf(report, plain.id).status, 'succeeded');
      assert.deepEqual(details(report, plain.id).swept, left);
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.startsWith('.dbfleet_verify_')),
        [live],
      );
    } finally {
      sleeper.kill();
      rmSync(join(dir, live), { force: true });
    }
  });

  test('a backup directory that is a file or not writable is a usage error before any tenant runs', {
    timeout: 60_000,
  }, async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, '');
    await assert.rejects(
      backup({ tenants: [plain], backupDir: file }),
      (err: Error) => err instanceof UsageError && /not a directory/.test(err.message),
    );
    const ro = join(root, 'ro');
    mkdirSync(ro);
    const undo = makeUnwritable(ro);
    if (undo) {
      try {
        await assert.rejects(
          backup({ tenants: [plain], backupDir: ro }),
          (err: Error) => err instanceof UsageError && /is not writable/.test(err.message),
        );
      } finally {
        undo();
      }
    }
    assert.ok(!existsSync(join(file, plain.id)));
  });

  test('restore uses the newest verified backup only; verify records the verdict that makes one', {
    timeout: 60_000,
  }, async () => {
    const fresh = makeDb('fresh', 'delete');
    assert.equal(
      resultOf(await verify({ tenants: [fresh], backupDir: bk }), fresh.id).error?.code,
      'NO_BACKUP',
    );
    const taken = details(await backup({ tenants: [fresh], backupDir: bk, verify: 'none' }), fresh.id);
    assert.equal(taken.backup?.verified, false);
    assert.equal(manifestOf(taken.backup!.path).verification, null);
    const refused = resultOf(await restoreTenant({ tenant: fresh, backupDir: bk, yes: true }), fresh.id);
    assert.equal(refused.error?.code, 'NO_BACKUP');
    assert.match(refused.error?.message ?? '', /no verified backup/);

    assert.equal(resultOf(await verify({ tenants: [fresh], backupDir: bk }), fresh.id).status, 'succeeded');
    assert.deepEqual(manifestOf(taken.backup!.path).verification?.ok, true);
    assert.equal(
      resultOf(await restoreTenant({ tenant: fresh, backupDir: bk, yes: true }), fresh.id).status,
      'succeeded',
    );

    await assert.rejects(
      verify({ tenants: [fresh, plain], backupDir: bk, backup: taken.backup!.path }),
      UsageError,
    );
  });

  test('a tenant whose database file is gone fails on its own; the others are backed up', {
    timeout: 60_000,
  }, async () => {
    const gone = sqliteTenant('gone', join(root, 'dbs', 'gone.sqlite'));
    const report = await backup({ tenants: [gone, plain], backupDir: bk });
    assert.equal(resultOf(report, 'gone').status, 'failed');
    assert.equal(resultOf(report, 'gone').error?.code, 'UNREACHABLE');
    assert.equal(resultOf(report, plain.id).status, 'succeeded');
    assert.deepEqual(readdirSync(join(bk, 'gone')), [], 'no file for the failed tenant');
  });
});
