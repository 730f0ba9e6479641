import { UsageError } from '../../core/errors.js';
import type { DialectAdapter } from '../types.js';
import { sqliteBackupDriver } from './backup.js';
import { parseSqliteConnection } from './connection.js';
import { classifySqliteError } from './errors.js';
import { sqliteOptimizer } from './optimize.js';
import { openSqliteSession } from './session.js';
import { RENAMED_SQLITE_CLIENTS, sqliteKnexConfig } from './session-knex.js';

export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  capabilities: {
    transactionalDdl: true,
    concurrentIndex: false,
    schemas: false,
    fileBased: true,
    nonBlockingReads: false,
  },
  parseConnection: (input) => parseSqliteConnection(input),
  knexConfig: sqliteKnexConfig,
  renamedKnexClients: RENAMED_SQLITE_CLIENTS,
  open: openSqliteSession,
  // better-sqlite3's exec() runs a whole script natively, triggers included.
  splitScript: (sql) => (sql.trim() === '' ? [] : [sql]),
  classifyError: classifySqliteError,
  optimizer: sqliteOptimizer,
  backup: sqliteBackupDriver,
  quoteIdentifier: (name) => `"${name.replace(/"/g, '""')}"`,
  rowsOf: (result) => result as Record<string, unknown>[],
  // A file path holds no name the engine would change.
  namingProblems: () => [],
  listDatabases: async () => {
    throw new UsageError(
      'server discovery is for server dialects: SQLite tenants are files, discovered with a glob',
    );
  },
  // SQLite refuses what cannot run in a transaction (VACUUM) itself, and the transaction rolls back.
  checkTransactionalScript: () => undefined,
};
