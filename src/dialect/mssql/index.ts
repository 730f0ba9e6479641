import type { DialectAdapter } from '../types.js';

function notYet(): never {
  throw new Error('the SQL Server dialect is not implemented yet');
}

export const mssqlAdapter: DialectAdapter = {
  name: 'mssql',
  capabilities: { transactionalDdl: true, concurrentIndex: true, schemas: true, fileBased: false },
  parseConnection: notYet,
  knexConfig: notYet,
  open: notYet,
  splitScript: notYet,
  classifyError: () => undefined,
  quoteIdentifier: (name) => `[${name.replace(/]/g, ']]')}]`,
  rowsOf: (result) => result as Record<string, unknown>[],
};
