import knexFactory from 'knex';
import type { ConnectionObject } from '../../core/tenant.js';
import { SILENT_KNEX_LOG } from '../pinned-knex.js';
import { quoteString } from './quote.js';
import { likePrefix, SCRATCH_PREFIX } from './sql/backup.js';

/**
 * Online user databases on the server (system databases have ids 1-4); dbfleet's own scratch copies
 * are never tenants. Discovery filters the names further.
 */
export const LIST_DATABASES_SQL = [
  'SELECT name FROM sys.databases',
  `WHERE database_id > 4 AND state_desc = N'ONLINE' AND name NOT LIKE ${quoteString(likePrefix(SCRATCH_PREFIX))}`,
  'ORDER BY name;',
].join('\n');

export async function listMssqlDatabases(connection: ConnectionObject): Promise<string[]> {
  const knex = knexFactory({
    client: 'mssql',
    connection: {
      ...connection,
      database: typeof connection.database === 'string' ? connection.database : 'master',
    },
    pool: { min: 0, max: 1 },
    log: SILENT_KNEX_LOG,
  });
  try {
    const rows = (await knex.raw(LIST_DATABASES_SQL)) as { name: string }[];
    return rows.map((r) => r.name);
  } finally {
    await knex.destroy();
  }
}
