import type { DialectName } from '../core/tenant.js';
import { mssqlAdapter } from './mssql/index.js';
import { postgresAdapter } from './postgres/index.js';
import { sqliteAdapter } from './sqlite/index.js';
import type { DialectAdapter } from './types.js';

const adapters: Record<DialectName, DialectAdapter> = {
  postgres: postgresAdapter,
  sqlite: sqliteAdapter,
  mssql: mssqlAdapter,
};

export function getAdapter(name: DialectName): DialectAdapter {
  return adapters[name];
}

/** The dialect whose backups end in `path`'s extension (`.dump`, `.sqlite`, `.bak`), if any. */
export function dialectOfBackupFile(path: string): DialectName | undefined {
  const dot = path.lastIndexOf('.');
  const extension = dot < 0 ? '' : path.slice(dot + 1);
  return (Object.keys(adapters) as DialectName[]).find(
    (name) => adapters[name].backup.extension === extension,
  );
}
