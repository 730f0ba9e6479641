import type { Tenant } from '../../src/core/tenant.js';
import { postgresAdapter } from '../../src/dialect/postgres/index.js';

/** A tenant on the test server: its own `database`, or — with `schema` — one schema of it. */
export function postgresTenant(id: string, database: string, schema?: string): Tenant {
  const p = postgresAdapter.parseConnection({ host: '127.0.0.1', port: 5432, user: 'postgres', database });
  return {
    id,
    dialect: 'postgres',
    connection: p.connection,
    host: p.host,
    database,
    tags: [],
    ...(schema ? { schema } : {}),
  };
}
