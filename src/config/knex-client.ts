import type { DialectName } from '../core/tenant.js';

/** knex client names (and their aliases) → the dialect that drives them. */
const DIALECT_OF_CLIENT: Readonly<Record<string, DialectName>> = {
  pg: 'postgres',
  postgres: 'postgres',
  postgresql: 'postgres',
  pgnative: 'postgres',
  'better-sqlite3': 'sqlite',
  sqlite3: 'sqlite',
  sqlite: 'sqlite',
  mssql: 'mssql',
};

export const KNEX_CLIENT_NAMES = Object.keys(DIALECT_OF_CLIENT);

export function dialectOfKnexClient(client: string): DialectName | undefined {
  return DIALECT_OF_CLIENT[client.trim().toLowerCase()];
}
