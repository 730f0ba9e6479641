import { hashOf } from '../../fingerprint-hash.js';
import { quoteIdent, quoteString } from '../quote.js';

/**
 * Native backup and restore. Every path here is a path ON THE SQL SERVER HOST: the server process opens
 * the file, with its service account's permissions. dbfleet's own process never touches it.
 */

export interface BackupSupport {
  supported: boolean;
  compression: boolean;
  /** Why BACKUP TO DISK is not available, when it is not. */
  reason?: string;
}

/**
 * EngineEdition 5 (Azure SQL Database), 6/11 (Synapse) have no BACKUP TO DISK; 8 (Managed Instance)
 * backs up to URL only. Compression: every edition but Express and Web (both report as 2 or 4).
 */
export function backupSupport(engineEdition: number, edition: string): BackupSupport {
  if ([5, 6, 11].includes(engineEdition)) {
    return {
      supported: false,
      compression: false,
      reason: `${edition} has no BACKUP TO DISK (the platform keeps its own backups)`,
    };
  }
  if (engineEdition === 8) {
    return { supported: false, compression: false, reason: `${edition} backs up to URL only, not to a file` };
  }
  return { supported: true, compression: engineEdition !== 4 && !/\b(web|express)\b/i.test(edition) };
}

/**
 * COPY_ONLY: the backup does not reset the differential base or break the log chain of the customer's
 * own backup schedule. CHECKSUM: page checksums are verified while reading and a backup checksum is
 * written, so RESTORE … WITH CHECKSUM can verify it. INIT, FORMAT: the file holds this backup only.
 */
export function backupDatabaseSql(
  database: string,
  serverPath: string,
  options: { compression?: boolean } = {},
): string {
  const extra = options.compression ? ', COMPRESSION' : '';
  return `BACKUP DATABASE ${quoteIdent(database)} TO DISK = ${quoteString(serverPath)} WITH CHECKSUM, COPY_ONLY, INIT, FORMAT${extra};`;
}

export function verifyOnlySql(serverPath: string): string {
  return `RESTORE VERIFYONLY FROM DISK = ${quoteString(serverPath)} WITH CHECKSUM;`;
}

export function fileListOnlySql(serverPath: string): string {
  return `RESTORE FILELISTONLY FROM DISK = ${quoteString(serverPath)};`;
}

export function headerOnlySql(serverPath: string): string {
  return `RESTORE HEADERONLY FROM DISK = ${quoteString(serverPath)};`;
}

export interface BackupFile {
  logicalName: string;
  physicalName: string;
  /** D data, L log, S FILESTREAM / memory-optimized container, F full-text catalog. */
  type: string;
}

export function readFileList(rows: Record<string, unknown>[]): BackupFile[] {
  return rows.map((row) => ({
    logicalName: String(row.LogicalName),
    physicalName: String(row.PhysicalName),
    type: String(row.Type).trim().toUpperCase(),
  }));
}

export interface FileMove {
  logicalName: string;
  /** New physical path on the server. */
  physicalName: string;
}

function directory(dir: string): string {
  const separator = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith('/') || dir.endsWith('\\') ? dir : `${dir}${separator}`;
}

/**
 * Where a scratch restore puts each file: the server's default data/log directories, under names derived
 * from the scratch database, so the copy never collides with the live tenant's files. Logical names can
 * hold anything, so only their safe characters are kept, with the file's position keeping names unique.
 */
export function planScratchFiles(
  files: BackupFile[],
  scratch: string,
  dataDir: string,
  logDir: string,
): FileMove[] {
  let dataFiles = 0;
  return files.map((file, index) => {
    const safe = file.logicalName.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40);
    const base = `${scratch}_${index}_${safe}`;
    if (file.type === 'L')
      return { logicalName: file.logicalName, physicalName: `${directory(logDir)}${base}.ldf` };
    if (file.type === 'D') {
      dataFiles += 1;
      return {
        logicalName: file.logicalName,
        physicalName: `${directory(dataDir)}${base}.${dataFiles === 1 ? 'mdf' : 'ndf'}`,
      };
    }
    // FILESTREAM and full-text containers are directories.
    return { logicalName: file.logicalName, physicalName: `${directory(dataDir)}${base}` };
  });
}

/** Restores a backup as another database (deep verification): every file moved, checksums verified. */
export function restoreAsSql(
  database: string,
  serverPath: string,
  moves: FileMove[],
  options: { replace?: boolean } = {},
): string {
  if (moves.length === 0)
    throw new Error('a restore under another name needs the backup file list (RESTORE FILELISTONLY)');
  const moveClauses = moves.map(
    (m) => `MOVE ${quoteString(m.logicalName)} TO ${quoteString(m.physicalName)}`,
  );
  const options_ = [...moveClauses, 'CHECKSUM', 'RECOVERY', ...(options.replace ? ['REPLACE'] : [])];
  return `RESTORE DATABASE ${quoteIdent(database)} FROM DISK = ${quoteString(serverPath)} WITH ${options_.join(', ')};`;
}

/**
 * Rollback: the tenant's database replaced by its backup. Run from another database (master): nobody,
 * this session included, may be using it. SINGLE_USER WITH ROLLBACK IMMEDIATE disconnects the application,
 * and the restore follows in the same batch, before an application connection can take the single slot.
 * No TRY/CATCH: a CATCH that sets MULTI_USER fails itself when the restore failed (5064 while another
 * connection holds the slot, 5052 once the database is RESTORING) and its error replaces the server's own;
 * without one, every message of the failure (3101, then 3013) reaches the client, and XACT_ABORT ON stops
 * the batch there. `multiUserAgainSql` follows in a batch of its own, whatever happened.
 */
export function restoreOverSql(database: string, serverPath: string): string {
  const db = quoteIdent(database);
  return [
    `ALTER DATABASE ${db} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;`,
    `RESTORE DATABASE ${db} FROM DISK = ${quoteString(serverPath)} WITH CHECKSUM, RECOVERY, REPLACE;`,
  ].join('\n');
}

/**
 * Back to MULTI_USER after a restore over the tenant, failed or not — only while the database is ONLINE:
 * ALTER DATABASE fails on one a failed restore left RESTORING (5052), which nobody can use until a restore
 * succeeds, and a successful restore brings the backup's own MULTI_USER with it.
 */
export function multiUserAgainSql(database: string): string {
  return [
    `IF EXISTS (SELECT 1 FROM sys.databases WHERE name = ${quoteString(database)} AND state_desc = N'ONLINE' AND user_access_desc <> N'MULTI_USER')`,
    `  ALTER DATABASE ${quoteIdent(database)} SET MULTI_USER;`,
  ].join('\n');
}

export function checkDbSql(database: string): string {
  return `DBCC CHECKDB (${quoteIdent(database)}) WITH NO_INFOMSGS, ALL_ERRORMSGS;`;
}

export const SCRATCH_PREFIX = 'dbfleet_verify_';

/** Whose scratch databases: the tenant's id, and the database (with the schema) it lives in. */
export interface ScratchOwner {
  id: string;
  database: string;
  schema?: string | undefined;
}

/**
 * A tenant's scratch names: the id (lowercased, cut) for whoever reads the database list, and a hash of
 * the id, the database and the schema, which says whose they are. An application lock lives in the
 * database it was taken in (the tenant's): two fleets on one server (staging and production) with a
 * tenant `acme` each named their scratch databases alike, and one's sweep could not see the other's
 * lock — it dropped the other's scratch database under its verification. With the database in the name,
 * only sessions of the tenant's own database, where the owner's lock is, ever sweep it.
 */
export function scratchPrefix(tenant: ScratchOwner): string {
  const slug = tenant.id
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 40);
  return `${SCRATCH_PREFIX}${slug}_${hashOf([tenant.id, tenant.database, tenant.schema ?? null], 8)}_`;
}

export function isScratchOf(tenant: ScratchOwner, name: string): boolean {
  const prefix = scratchPrefix(tenant);
  return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
}

/** The drop builder refuses anything that is not a scratch name: it can never drop a tenant. */
function assertScratchName(name: string): void {
  if (!name.startsWith(SCRATCH_PREFIX))
    throw new Error(`refusing to touch ${name}: not a ${SCRATCH_PREFIX}* scratch database`);
}

export function createScratchSql(name: string): string {
  assertScratchName(name);
  return `CREATE DATABASE ${quoteIdent(name)};`;
}

/**
 * SINGLE_USER first disconnects whoever is reading the copy. Only on an ONLINE database: on one a failed or
 * killed restore left RESTORING, ALTER DATABASE fails (5052) and would end the batch before the DROP, which
 * works there as it is (nobody can be connected to it).
 */
export function dropScratchSql(name: string): string {
  assertScratchName(name);
  const db = quoteIdent(name);
  return [
    `IF DB_ID(${quoteString(name)}) IS NOT NULL`,
    'BEGIN',
    `  IF EXISTS (SELECT 1 FROM sys.databases WHERE name = ${quoteString(name)} AND state_desc = N'ONLINE')`,
    `    ALTER DATABASE ${db} SET SINGLE_USER WITH ROLLBACK IMMEDIATE;`,
    `  DROP DATABASE ${db};`,
    'END;',
  ].join('\n');
}

/** `_`, `%` and `[` are LIKE wildcards; brackets make them literal. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[[%_]/g, (c) => `[${c}]`)}%`;
}

/** Leftover scratch databases (of one tenant when `prefix` is given). */
export function listScratchSql(prefix = SCRATCH_PREFIX): string {
  assertScratchName(prefix);
  return `SELECT name FROM sys.databases WHERE name LIKE ${quoteString(likePrefix(prefix))} ORDER BY name;`;
}
