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
