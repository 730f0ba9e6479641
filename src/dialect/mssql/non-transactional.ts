import { splitGoBatches } from './go-splitter.js';
import { lineAt, maskNonCode } from './tsql-lexer.js';

/**
 * Statements SQL Server refuses inside a user transaction (Msg 226 / 574): "Transact-SQL statements allowed
 * in transactions" lists ALTER/CREATE/DROP DATABASE, BACKUP, RESTORE, RECONFIGURE, full-text catalog and
 * index DDL and the full-text system procedures. Finding them before the migration starts turns a
 * half-run failure into a plan-time message.
 */
interface Rule {
  statement: string;
  pattern: RegExp;
}

/** Word edges in T-SQL: `@backup`, `#restore`, `backup_log` are names, not keywords. */
const B = '(?<![\\w@#$])';
const E = '(?![\\w@#$])';
/** DATABASE that names a database operation, not `DATABASE AUDIT SPECIFICATION`, `DATABASE SCOPED CREDENTIAL`… */
const DATABASE = `DATABASE${E}(?!\\s+(?:AUDIT|SCOPED\\s+CREDENTIAL|ENCRYPTION\\s+KEY)${E})`;

const RULES: Rule[] = [
  { statement: 'ALTER DATABASE', pattern: new RegExp(`${B}ALTER\\s+${DATABASE}`, 'gi') },
  { statement: 'CREATE DATABASE', pattern: new RegExp(`${B}CREATE\\s+${DATABASE}`, 'gi') },
  { statement: 'DROP DATABASE', pattern: new RegExp(`${B}DROP\\s+${DATABASE}`, 'gi') },
  { statement: 'BACKUP', pattern: new RegExp(`${B}BACKUP\\s+(?:DATABASE|LOG)${E}`, 'gi') },
  {
    statement: 'RESTORE',
    pattern: new RegExp(
      `${B}RESTORE\\s+(?:DATABASE|LOG|FILELISTONLY|HEADERONLY|LABELONLY|VERIFYONLY|REWINDONLY)${E}`,
      'gi',
    ),
  },
  { statement: 'RECONFIGURE', pattern: new RegExp(`${B}RECONFIGURE${E}`, 'gi') },
  {
    statement: 'full-text catalog/index DDL',
    pattern: new RegExp(`${B}(?:CREATE|ALTER|DROP)\\s+FULLTEXT\\s+(?:CATALOG|INDEX)${E}`, 'gi'),
  },
  { statement: 'full-text system procedure', pattern: new RegExp(`${B}sp_fulltext_\\w+`, 'gi') },
];

/**
 * A batch that defines a module stores its body instead of running it, so `ALTER DATABASE` inside
 * `CREATE PROCEDURE … AS …` is fine in a transaction. The definition must be the batch's first statement.
 */
export const MODULE_DEFINITION = new RegExp(
  `^\\s*(?:CREATE(?:\\s+OR\\s+ALTER)?|ALTER)\\s+(?:PROC|PROCEDURE|FUNCTION|TRIGGER|VIEW)${E}`,
  'i',
);

export interface NonTransactionalStatement {
  statement: string;
  /** 1-based line in the script. */
  line: number;
}

/** Every statement of the script that cannot run in a transaction; strings and comments are ignored. */
export function findNonTransactionalStatements(script: string): NonTransactionalStatement[] {
  const found: NonTransactionalStatement[] = [];
  for (const batch of splitGoBatches(script)) {
    const code = maskNonCode(batch.sql);
    if (MODULE_DEFINITION.test(code)) continue;
    for (const rule of RULES) {
      for (const match of code.matchAll(rule.pattern)) {
        found.push({ statement: rule.statement, line: batch.startLine + lineAt(batch.sql, match.index) - 1 });
      }
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/**
 * For the migrator: undefined when the script may run in a transaction, otherwise a message telling the
 * author what to change.
 */
export function checkTransactionalScript(script: string): string | undefined {
  const found = findNonTransactionalStatements(script);
  if (found.length === 0) return undefined;
  const where = found.map((f) => `${f.statement} on line ${f.line}`).join(', ');
  return (
    `SQL Server refuses ${where} inside a transaction, and migrations run in one by default. ` +
    'Run this migration without a transaction: export `config = { transaction: false }` from a knex ' +
    'migration, or put the no-transaction marker `-- dbfleet: transaction=false` at the top of a .sql ' +
    'migration. Such a migration cannot be rolled back when it fails halfway, so keep it to these statements alone.'
  );
}
