import type { DialectAdapter } from '../types.js';
import { mssqlBackupDriver } from './backup.js';
import { parseMssqlConnection } from './connection.js';
import { listMssqlDatabases } from './discover.js';
import { classifyMssqlError } from './errors.js';
import { splitScript } from './go-splitter.js';
import { checkTransactionalScript } from './non-transactional.js';
import { mssqlOptimizer } from './optimize.js';
import { quoteIdent } from './quote.js';
import { mssqlKnexConfig, openMssqlSession } from './session.js';

/**
 * SQL Server. Nothing here loads tedious: knex requires it when the first session opens, so users who
 * never touch SQL Server never pay for it.
 */
export const mssqlAdapter: DialectAdapter = {
  name: 'mssql',
  // concurrentIndex: ONLINE index builds exist, but only on Enterprise/Developer and Azure; the optimizer
  // checks the edition per server and falls back to an offline build (see sql/index-build.ts).
  capabilities: {
    transactionalDdl: true,
    concurrentIndex: true,
    schemas: true,
    fileBased: false,
    nonBlockingReads: false,
  },
  parseConnection: parseMssqlConnection,
  knexConfig: mssqlKnexConfig,
  open: (tenant, options) => openMssqlSession(tenant, options),
  splitScript,
  classifyError: classifyMssqlError,
  quoteIdentifier: quoteIdent,
  // knex's mssql client resolves a raw query to its rows.
  rowsOf: (result) => result as Record<string, unknown>[],
  listDatabases: listMssqlDatabases,
  // SQL Server refuses a name longer than it holds (128 characters) with its own message; it never
  // shortens one.
  namingProblems: () => [],
  checkTransactionalScript,
  optimizer: mssqlOptimizer,
  backup: mssqlBackupDriver,
};
