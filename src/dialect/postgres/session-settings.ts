import type { ConnectionObject } from '../../core/tenant.js';

/**
 * The session's name in pg_stat_activity: the knexfile's (or the tenant's) `application_name`, as knex would
 * give it, else 'dbfleet'. A lock holder's name tells a dbfleet runner apart (advisory-lock.ts).
 */
export function applicationNameOf(connection: ConnectionObject): string {
  const own = connection.application_name;
  return typeof own === 'string' && own !== '' ? own : 'dbfleet';
}
