import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Knex } from 'knex';
import { errorMessage, TenantError } from '../../core/errors.js';
import { processExists } from '../../util/process-alive.js';
import type {
  ArchiveInspection,
  BackupContext,
  BackupDriver,
  BackupResult,
  FingerprintLevel,
  Scratch,
} from '../backup-types.js';
import { copyDatabase, openReadOnly } from './copy-database.js';
import { fingerprintSqlite } from './fingerprint.js';
import { beginReadSnapshot } from './read-snapshot.js';
import { fileIsThere, recreateSqliteFile } from './recreate-file.js';
import { acrossPageSizes } from './wal-page-size.js';

const snapshotWait = (ctx: BackupContext) => ({
  lockTimeoutMs: ctx.sessionOptions.timeouts.lockTimeoutMs,
  signal: ctx.signal,
});

const driverVersion = (createRequire(import.meta.url)('better-sqlite3/package.json') as { version: string })
  .version;

/** The better-sqlite3 handle behind the tenant's pinned knex (the one connection, whatever lock it holds). */
async function withRaw<T>(knex: Knex, fn: (db: Database.Database) => Promise<T> | T): Promise<T> {
  const client = knex.client as {
    acquireConnection(): Promise<Database.Database>;
    releaseConnection(c: unknown): Promise<void>;
  };
  const db = await client.acquireConnection();
  try {
    return await fn(db);
  } finally {
    await client.releaseConnection(db);
  }
}

function integrityProblems(db: Database.Database): string[] {
  const rows = db.pragma('integrity_check') as { integrity_check: string }[];
  const messages = rows.map((r) => r.integrity_check);
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages.map((m) => `integrity_check: ${m}`);
}

async function backupSqlite(
  ctx: BackupContext,
  path: string,
  level: FingerprintLevel,
): Promise<BackupResult> {
  const session = await ctx.session();
  const result = await withRaw(session.knex, async (db) => {
    // A read transaction pins a snapshot; the fingerprint and the backup, on the same connection in it,
    // read that snapshot: writers in WAL mode go on, and the manifest matches the copy. (Without it the
    // backup API restarts whenever another connection writes, possibly forever.) It comes first: preparing
    // any statement reads the schema, and so waits for an application's write lock too.
    await beginReadSnapshot(db, snapshotWait(ctx));
    try {
      const sqliteVersion = String((db.prepare('select sqlite_version() as v').get() as { v: string }).v);
      const fingerprint = fingerprintSqlite(db, level);
      // WAL is the one journal mode kept in the file; the copy is switched out of it below.
      const wal = String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
      await copyDatabase(db, path, ctx.signal);
      return {
        serverVersion: sqliteVersion,
        tool: 'sqlite-backup-api',
        toolVersion: `better-sqlite3 ${driverVersion}`,
        fingerprint,
        ...(wal ? { databaseSettings: { journal_mode: 'wal' } } : {}),
      };
    } finally {
      if (db.inTransaction) db.exec('COMMIT');
    }
  });
  // A copy of a WAL database is marked WAL; switch it to a rollback journal so it opens read-only without
  // -wal/-shm files. Restoring into a WAL database sets WAL again.
  const copy = new Database(path, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  return result;
}

async function inspectSqlite(
  _ctx: BackupContext,
  path: string,
  info: { fingerprint: { tables: object } },
): Promise<ArchiveInspection> {
  let db: Database.Database | undefined;
  try {
    db = openReadOnly(path);
    const problems = integrityProblems(db);
    const names = new Set(
      (db.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map(
        (r) => r.name,
      ),
    );
    return { problems, missingTables: Object.keys(info.fingerprint.tables).filter((t) => !names.has(t)) };
  } catch (err) {
    return { problems: [`not a readable SQLite database: ${errorMessage(err)}`], missingTables: [] };
  } finally {
    db?.close();
  }
}

/** Scratch copies live in the tenant's backup directory; host and pid in the name tell a dead owner. */
const hostTag =
  hostname()
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, 40) || 'host';
const SCRATCH_FILE = /^\.dbfleet_verify_(.+)_(\d+)_[0-9a-f]+\.sqlite(-journal|-wal|-shm)?$/;

function removeDbFiles(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

async function sweepSqliteScratch(ctx: BackupContext): Promise<string[]> {
  const dropped = new Set<string>();
  let names: string[];
  try {
    names = readdirSync(ctx.workDir);
  } catch {
    return [];
  }
  for (const name of names) {
    const m = SCRATCH_FILE.exec(name);
    if (!m || m[1] !== hostTag) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processExists(pid)) continue;
    rmSync(join(ctx.workDir, name), { force: true });
    dropped.add(name.replace(/-(journal|wal|shm)$/, ''));
  }
  return [...dropped];
}

async function createSqliteScratch(ctx: BackupContext): Promise<Scratch> {
  const name = `.dbfleet_verify_${hostTag}_${process.pid}_${randomBytes(4).toString('hex')}.sqlite`;
  const path = join(ctx.workDir, name);
  // Created now (empty, private) so it exists from here on, like a scratch database: a run killed at any
  // later point leaves a file the next run can find.
  writeFileSync(path, '', { flag: 'wx', mode: 0o600 });
  let handle: Database.Database | undefined;
  const open = () => {
    handle ??= openReadOnly(path);
    return handle;
  };
  return {
    name,
    async restore(archive: string) {
      const source = openReadOnly(archive);
      try {
        await copyDatabase(source, path, ctx.signal);
      } catch (err) {
        // An interrupt, or a full volume for the scratch file, is no verdict on the backup.
        if (err instanceof TenantError) throw err;
        const full = (err as { code?: unknown }).code === 'SQLITE_FULL';
        const code = full ? 'DISK_FULL' : 'RESTORE_FAILED';
        throw new TenantError(code, `restoring into scratch file ${name}: ${errorMessage(err)}`);
      } finally {
        source.close();
      }
    },
    async integrityCheck() {
      return integrityProblems(open());
    },
    async fingerprint(level: FingerprintLevel) {
      const db = open();
      return fingerprintSqlite(db, level);
    },
    async drop() {
      handle?.close();
      handle = undefined;
      removeDbFiles(path);
    },
  };
}

/**
 * Restore through the backup API into the tenant's file: SQLite's own locking keeps other connections
 * consistent (they see the old or the new database, never a mix), which replacing the file would not.
 *
 * The tenant's own session is closed first: its connection may still hold the file (a lock kept by
 * exclusive locking mode, an open read) and must not see the replaced file through a stale cache.
 * Another connection holding a lock (another runner's migration lock) is waited for up to the lock
 * timeout, then the restore fails — it never reports a copy it did not make.
 */
async function restoreSqlite(ctx: BackupContext, path: string): Promise<void> {
  await ctx.releaseSession();
  const source = openReadOnly(path);
  try {
    await acrossPageSizes(source, ctx.tenant.database, () =>
      copyWhenUnlocked(source, ctx.tenant.database, ctx),
    );
  } finally {
    source.close();
  }
}

const BUSY_RETRY_MS = 50;

/**
 * better-sqlite3 resolves a backup whose first step got SQLITE_BUSY as finished (0 pages remaining of 0):
 * the destination was not touched. Every real database has at least one page, so 0 pages means "locked":
 * retry until the lock timeout, then say who is in the way.
 */
async function copyWhenUnlocked(source: Database.Database, dest: string, ctx: BackupContext): Promise<void> {
  const deadline = Date.now() + Math.max(0, ctx.sessionOptions.timeouts.lockTimeoutMs);
  for (;;) {
    const copied = await copyDatabase(source, dest, ctx.signal);
    if (copied.totalPages > 0) return;
    if (Date.now() >= deadline) {
      throw new TenantError(
        'RESTORE_FAILED',
        `${dest} is locked by another connection (another runner's migration, or an application's transaction: in rollback-journal mode a reading one is enough); nothing was restored`,
      );
    }
    await sleep(BUSY_RETRY_MS, undefined, { signal: ctx.signal }).catch(() => {
      throw new TenantError('INTERRUPTED', 'restore stopped: the run was interrupted');
    });
  }
}

export const sqliteBackupDriver: BackupDriver = {
  extension: 'sqlite',
  backup: backupSqlite,
  inspect: inspectSqlite,
  createScratch: createSqliteScratch,
  sweepScratch: sweepSqliteScratch,
  restore: restoreSqlite,
  databaseGone: (tenant) => !fileIsThere(tenant.database),
  async recreate(ctx, path, info) {
    if (fileIsThere(ctx.tenant.database)) return false;
    // A session opened before the file went (an upgrade's) reads the deleted file: the fingerprint after
    // the restore must open the new one.
    await ctx.releaseSession();
    const wal = info.databaseSettings?.journal_mode === 'wal';
    return recreateSqliteFile(path, ctx.tenant.database, ctx.signal, { wal });
  },
  async fingerprint(ctx, level, _version, options) {
    const session = await ctx.session();
    return withRaw(session.knex, async (db) => {
      await beginReadSnapshot(db, snapshotWait(ctx));
      try {
        return fingerprintSqlite(db, level, options?.withoutIndexes);
      } finally {
        if (db.inTransaction) db.exec('COMMIT');
      }
    });
  },
};
