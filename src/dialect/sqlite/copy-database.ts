import Database from 'better-sqlite3';
import { TenantError } from '../../core/errors.js';

/** The online backup API copies pages in steps; throwing from `progress` stops it (and the copy is discarded). */
export function copyDatabase(
  source: Database.Database,
  dest: string,
  signal: AbortSignal,
): Promise<Database.BackupMetadata> {
  return source.backup(dest, {
    progress: () => {
      if (signal.aborted) throw new TenantError('INTERRUPTED', 'backup stopped: the run was interrupted');
      return 1000;
    },
  });
}

export function openReadOnly(path: string): Database.Database {
  return new Database(path, { readonly: true, fileMustExist: true });
}
