import { open } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { ConnectionObject } from '../../core/tenant.js';

/**
 * SQL Server reads and writes backup files itself, on its own host, as its service account. dbfleet
 * names the file by a path on *its* machine; the two meet only through a shared directory. By default
 * the server is assumed to see the same absolute path (dbfleet runs on the SQL Server host, or the share
 * is mounted at the same path on both). When the paths differ, the tenant's connection says how:
 * `backupPathOnServer: { local: '/mnt/sqlbackups', server: 'D:\\sqlbackups' }`.
 */
export interface BackupPathMap {
  local: string;
  server: string;
}

export function backupPathMapOf(connection: ConnectionObject): BackupPathMap | undefined {
  const value = connection.backupPathOnServer;
  if (value === undefined) return undefined;
  const map = value as Partial<BackupPathMap>;
  if (
    !map ||
    typeof map.local !== 'string' ||
    typeof map.server !== 'string' ||
    map.local === '' ||
    map.server === ''
  ) {
    throw new Error(
      'backupPathOnServer must be { local: "<dir as dbfleet sees it>", server: "<same dir as SQL Server sees it>" }',
    );
  }
  return { local: map.local, server: map.server };
}

/** The path under which the SQL Server host sees the file dbfleet sees at `localPath`. */
export function serverBackupPath(localPath: string, map?: BackupPathMap): string {
  const absolute = resolve(localPath);
  if (!map) return absolute;
  const localRoot = resolve(map.local);
  const rel = relative(localRoot, absolute);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new Error(
      `the backup file ${absolute} is outside ${localRoot}, the directory backupPathOnServer maps`,
    );
  }
  const windows = map.server.includes('\\') && !map.server.includes('/');
  const separator = windows ? '\\' : '/';
  const root = map.server.replace(/[\\/]+$/, '');
  return rel === '' ? root : `${root}${separator}${rel.split(/[\\/]/).join(separator)}`;
}

/** Every SQL Server backup file is a Microsoft Tape Format stream, which starts with a "TAPE" block. */
export async function looksLikeMtf(localPath: string): Promise<boolean> {
  const file = await open(localPath, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await file.read(head, 0, 4, 0);
    return bytesRead === 4 && head.toString('latin1') === 'TAPE';
  } finally {
    await file.close();
  }
}
