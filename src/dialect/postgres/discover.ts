import knexFactory from 'knex';
import type { ConnectionObject } from '../../core/tenant.js';
import { SILENT_KNEX_LOG } from '../pinned-knex.js';
import { CLIENT_KEEPALIVE } from './liveness-options.js';

/** Every connectable, non-template database on the server (discovery filters the names). */
export async function listPostgresDatabases(connection: ConnectionObject): Promise<string[]> {
  const knex = knexFactory({
    client: 'pg',
    connection: { database: 'postgres', ...CLIENT_KEEPALIVE, ...connection },
    pool: { min: 0, max: 1 },
    log: SILENT_KNEX_LOG,
  });
  try {
    const res = await knex.raw(
      'select datname from pg_database where datallowconn and not datistemplate order by datname',
    );
    return (res.rows as { datname: string }[]).map((r) => r.datname);
  } finally {
    await knex.destroy();
  }
}
