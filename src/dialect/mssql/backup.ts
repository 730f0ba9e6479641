import { constants } from 'node:fs';
import { access, stat, unlink } from 'node:fs/promises';
import { type ErrorCode, errorMessage, TenantError } from '../../core/errors.js';
import type {
  ArchiveInfo,
  ArchiveInspection,
  BackupContext,
  BackupDriver,
  BackupResult,
  FingerprintLevel,
  RestoreOptions,
} from '../backup-types.js';
import { backupPathMapOf, looksLikeMtf, serverBackupPath } from './backup-path.js';
import { classifyMssqlError, describeMssqlError } from './errors.js';
import { fingerprintMssql } from './fingerprint.js';
import { quoteIdent } from './quote.js';
import { queryBatch } from './raw-connection.js';
import { createMssqlScratch, sweepMssqlScratch } from './scratch.js';
import { serverInfoOf, sessionFacts } from './session-registry.js';
import {
  backupDatabaseSql,
  backupSupport,
  headerOnlySql,
  multiUserAgainSql,
  restoreOverSql,
  verifyOnlySql,
} from './sql/backup.js';

/** A driver error as a TenantError: its classified code when it has one, `fallback` otherwise. */
function failure(fallback: ErrorCode, what: string, err: unknown, more = ''): TenantError {
  const info = classifyMssqlError(err);
  const code = info && info.code !== 'FAILED' ? info.code : fallback;
  return new TenantError(code, `${what}: ${info?.message ?? describeMssqlError(err)}${more}`, { cause: err });
}

/** The error a request failed with, undefined when it went through. */
const errorOf = (request: Promise<unknown>): Promise<unknown> =>
  request.then(
    () => undefined,
    (err: unknown) => err ?? new Error('the request failed'),
  );

const serverPathOf = (ctx: BackupContext, path: string) =>
  serverBackupPath(path, backupPathMapOf(ctx.tenant.connection));

/** SQL Server creates the file itself (as its service account): dbfleet's empty placeholder goes first. */
async function removePlaceholder(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile() && info.size === 0) await unlink(path);
}

async function assertVisibleHere(path: string, serverPath: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info || info.size === 0) {
    throw new TenantError(
      'BACKUP_PATH_NOT_SHARED',
      `SQL Server wrote the backup to ${serverPath} on its own host, but dbfleet does not see it at ${path}: the backup directory must be shared with the SQL Server host (same path, or set backupPathOnServer in the tenant's connection)`,
    );
  }
  await access(path, constants.R_OK).catch(() => {
    throw new TenantError(
      'BACKUP_PATH_NOT_SHARED',
      `the backup ${path} was written by the SQL Server service account and dbfleet cannot read it: give dbfleet read access to files in the backup directory (group or ACL)`,
    );
  });
}

async function backupMssql(ctx: BackupContext, path: string, level: FingerprintLevel): Promise<BackupResult> {
  const { knex } = await ctx.session();
  const server = await serverInfoOf(knex);
  const support = backupSupport(server.engineEdition, server.edition);
  if (!support.supported)
    throw new TenantError('BACKUP_UNSUPPORTED', `cannot back up ${ctx.tenant.database}: ${support.reason}`);
  const serverPath = serverPathOf(ctx, path);
  await removePlaceholder(path);
  try {
    // A backup takes as long as it takes: no request timeout.
    await queryBatch(
      knex,
      backupDatabaseSql(ctx.tenant.database, serverPath, { compression: support.compression }),
      {
        timeoutMs: 0,
      },
    );
  } catch (err) {
    throw failure('BACKUP_FAILED', `BACKUP DATABASE to ${serverPath} (a path on the SQL Server host)`, err);
  }
  await assertVisibleHere(path, serverPath);
  // A schema tenant's backup holds its whole shared database; its fingerprint covers its own schema.
  const fingerprint = await fingerprintMssql(knex, level, { schema: ctx.tenant.schema });
  return {
    serverVersion: server.productVersion,
    tool: 'sqlserver',
    toolVersion: server.productVersion,
    fingerprint,
  };
}

/**
 * Light check: the file is an MTF stream, the server reads it back with every checksum verified, and it
 * holds one full backup of this tenant's database. Which tables it holds is only known after a restore
 * (deep verification), so `missingTables` stays empty.
 */
async function inspectMssqlArchive(
  ctx: BackupContext,
  path: string,
  _info: ArchiveInfo,
): Promise<ArchiveInspection> {
  try {
    if (!(await looksLikeMtf(path))) {
      return {
        problems: ['not a SQL Server backup file (no Microsoft Tape Format header)'],
        missingTables: [],
      };
    }
  } catch (err) {
    return { problems: [`cannot read the backup file: ${errorMessage(err)}`], missingTables: [] };
  }
  const { knex } = await ctx.session();
  const serverPath = serverPathOf(ctx, path);
  try {
    await queryBatch(knex, verifyOnlySql(serverPath), { timeoutMs: 0 });
  } catch (err) {
    return {
      problems: [`RESTORE VERIFYONLY rejects ${serverPath}: ${describeMssqlError(err)}`],
      missingTables: [],
    };
  }
  const sets = (await queryBatch(knex, headerOnlySql(serverPath))).rows;
  const problems: string[] = [];
  if (sets.length !== 1) problems.push(`the file holds ${sets.length} backup sets, expected exactly one`);
  const set = sets[0];
  // Database names compare by the server's collation, case-insensitive by default: the inventory may
  // spell the name differently from the server (and from HEADERONLY, which reports the server's spelling).
  if (set && String(set.DatabaseName).toLowerCase() !== ctx.tenant.database.toLowerCase()) {
    problems.push(`the file is a backup of database ${String(set.DatabaseName)}, not ${ctx.tenant.database}`);
  }
  if (set && Number(set.BackupType) !== 1)
    problems.push(`the file holds backup type ${String(set.BackupType)}, not a full backup`);
  return { problems, missingTables: [] };
}

/**
 * Rollback: the tenant's database replaced by its backup. The session leaves the database (RESTORE needs
 * it unused, this session included) and gives up the migration lock for the duration — the database is
 * SINGLE_USER meanwhile, so nobody else gets in — then comes back and takes the lock again.
 */
async function restoreMssql(
  ctx: BackupContext,
  path: string,
  info: ArchiveInfo,
  options: RestoreOptions,
): Promise<void> {
  if (ctx.tenant.schema) {
    throw new TenantError(
      'RESTORE_UNSUPPORTED',
      `SQL Server restores whole databases, and tenant ${ctx.tenant.id} shares ${ctx.tenant.database} with other schema tenants: restoring its backup would roll them back too; nothing was changed`,
    );
  }
  const session = await ctx.session();
  const { knex } = session;
  const live = await fingerprintMssql(knex, 'schema', {});
  const expected = new Set([
    ...Object.keys(info.fingerprint.tables),
    ...Object.keys(info.fingerprint.objects),
  ]);
  const extra = [...Object.keys(live.tables), ...Object.keys(live.objects)].filter(
    (key) => !expected.has(key),
  );
  if (extra.length > 0 && !options.dropUnexpected) {
    throw new TenantError(
      'RESTORE_UNEXPECTED_OBJECTS',
      `the database holds objects the backup does not (created after it): ${extra.join(', ')}; nothing was changed — allow dropping them to restore (\`restore --drop-unexpected\`; \`dropUnexpected: true\` in the library)`,
    );
  }
  const hadLock = sessionFacts(knex)?.holdsLock() ?? false;
  const serverPath = serverPathOf(ctx, path);
  await session.unlock();
  await queryBatch(knex, 'USE master;');
  const database = ctx.tenant.database;
  const restoreError = await errorOf(
    queryBatch(knex, restoreOverSql(database, serverPath), { timeoutMs: 0 }),
  );
  // Whatever the restore did; a failure here is reported after the restore's own error, never instead.
  const resetError = await errorOf(queryBatch(knex, multiUserAgainSql(database)));
  const useError = await errorOf(queryBatch(knex, `USE ${quoteIdent(database)};`));
  const stuck = resetError
    ? `; ${database} may still be SINGLE_USER: setting it back to MULTI_USER failed: ${describeMssqlError(resetError)}`
    : '';
  if (restoreError) {
    const what = `RESTORE DATABASE from ${serverPath} (a path on the SQL Server host)`;
    throw failure('RESTORE_FAILED', what, restoreError, stuck);
  }
  if (resetError) {
    const what = `restored ${database}, but it may still be SINGLE_USER: setting it back to MULTI_USER failed`;
    throw failure('RESTORE_FAILED', what, resetError);
  }
  if (useError)
    throw failure('RESTORE_FAILED', `the restore finished but ${database} cannot be opened`, useError);
  // lockTimeoutMs 0 means "wait forever", but tryLock's 0 is one try: forever is Infinity there.
  const { lockTimeoutMs } = ctx.sessionOptions.timeouts;
  const wait = lockTimeoutMs > 0 ? lockTimeoutMs : Number.POSITIVE_INFINITY;
  if (hadLock && !(await session.tryLock(wait, ctx.signal))) {
    if (ctx.signal.aborted)
      throw new TenantError(
        'INTERRUPTED',
        `restored ${database}, but interrupted while waiting to take its migration lock again`,
      );
    throw new TenantError(
      'LOCK_LOST',
      `restored ${ctx.tenant.database}, but another run took its migration lock meanwhile`,
    );
  }
}

export const mssqlBackupDriver: BackupDriver = {
  extension: 'bak',
  backup: backupMssql,
  inspect: inspectMssqlArchive,
  createScratch: createMssqlScratch,
  sweepScratch: sweepMssqlScratch,
  restore: restoreMssql,
  async fingerprint(ctx, level, _version, options) {
    const { knex } = await ctx.session();
    return fingerprintMssql(knex, level, { schema: ctx.tenant.schema }, options?.withoutIndexes);
  },
};
