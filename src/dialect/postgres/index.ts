import type { DialectAdapter } from '../types.js';
import { postgresBackupDriver } from './backup.js';
import { parsePostgresConnection } from './connection.js';
import { listPostgresDatabases } from './discover.js';
import { classifyPostgresError } from './errors.js';
import { postgresNamingProblems } from './identifier-limits.js';
import { quotePostgresIdentifier } from './identifiers.js';
import { postgresOptimizer } from './optimize.js';
import { openPostgresSession, postgresKnexConfig } from './session.js';

export { quotePostgresIdentifier };

export const postgresAdapter: DialectAdapter = {
  name: 'postgres',
  capabilities: {
    transactionalDdl: true,
    concurrentIndex: true,
    schemas: true,
    fileBased: false,
    nonBlockingReads: true,
  },
  parseConnection: parsePostgresConnection,
  knexConfig: postgresKnexConfig,
  open: openPostgresSession,
  // PostgreSQL takes a whole script in one simple-query round trip: no client-side splitting needed.
  splitScript: (sql) => (sql.trim() === '' ? [] : [sql]),
  classifyError: classifyPostgresError,
  optimizer: postgresOptimizer,
  backup: postgresBackupDriver,
  quoteIdentifier: quotePostgresIdentifier,
  rowsOf: (result) => {
    // Several statements sent at once (a check file with two queries) come back as a list of results:
    // which rows were meant is anyone's guess, so say so rather than fail reading `.rows` of a list.
    if (Array.isArray(result))
      throw new Error(`one query was expected, but the SQL held ${result.length} statements`);
    return (result as { rows: Record<string, unknown>[] }).rows;
  },
  listDatabases: listPostgresDatabases,
  namingProblems: postgresNamingProblems,
  // PostgreSQL refuses a statement that cannot run in a transaction block (25001) itself, and rolls back.
  checkTransactionalScript: () => undefined,
};
