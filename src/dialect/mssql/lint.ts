import {
  type DialectLinter,
  type LintHit,
  type LintMigrationInput,
  type LintRuleInfo,
  LOCK_TIMEOUT_DISABLED,
  type StillNew,
} from '../lint-types.js';
import { type TransactionStatement, transactionStatements } from './transaction-statements.js';
import { maskNonCode } from './tsql-lexer.js';

/**
 * The T-SQL rules that matter most, found token by token on the lexed script (strings, comments and
 * delimited identifiers never match): offline index builds, column changes that rewrite, and a script's own
 * transaction statements that end dbfleet's transaction or leave one open. The rest of
 * PostgreSQL's rules (constraints, renames…) are not covered on SQL Server.
 */
export const MSSQL_RULES = {
  indexOffline: {
    id: 'mssql-index-offline',
    title:
      'CREATE INDEX, ALTER INDEX … REBUILD or ADD PRIMARY KEY / UNIQUE on an existing table without ONLINE = ON',
    why: 'an offline index build holds a lock that blocks writes to the table (reads too, for a clustered index) until the whole index is built',
    safe: 'WITH (ONLINE = ON) where the edition has it (Enterprise, Developer, Azure SQL); on Standard Edition every build is offline: schedule it in a quiet window and accept this finding',
  },
  alterColumn: {
    id: 'mssql-alter-column',
    title: 'ALTER TABLE … ALTER COLUMN on an existing table without ONLINE = ON',
    why: "changing a column's type, length or nullability can touch every row under a schema-modification lock that blocks all access to the table; only widening a variable-length column is metadata-only",
    safe: 'WITH (ONLINE = ON) (SQL Server 2016+, Enterprise / Azure SQL); otherwise add a new column, backfill in batches, switch the app, drop the old one — or accept this if it only widens (n)varchar',
  },
  lockTimeoutDisabled: { ...LOCK_TIMEOUT_DISABLED, title: 'SET LOCK_TIMEOUT -1 (wait forever)' },
  commitInTransaction: {
    id: 'mssql-commit-in-transaction',
    title:
      'a COMMIT without a BEGIN TRAN of its own to pair with, or a ROLLBACK (not to a SAVE TRAN savepoint), in a migration that runs in a transaction',
    why: "a BEGIN TRAN of the script's own only nests in the transaction dbfleet (like knex) runs it in, but an unpaired COMMIT commits that transaction and a ROLLBACK rolls all of it back (@@TRANCOUNT 0): what follows runs outside any transaction, and dbfleet fails the migration TRANSACTION_ENDED, unrecorded, with the tenant holding what was committed",
    safe: 'pair every BEGIN TRAN with its COMMIT (as SSMS change scripts do), roll back only to a savepoint (SAVE TRAN sp … ROLLBACK TRAN sp) or let an error roll back (XACT_ABORT is on); if it must commit in steps, run it without a transaction (`-- dbfleet: transaction=false`) and make every step safe to run again',
  },
  beginWithoutCommit: {
    id: 'mssql-begin-without-commit',
    title: 'more BEGIN TRANs than COMMITs: a transaction of its own left open',
    why: "its transaction is still open when the migration ends (in a transactional migration it nests in dbfleet's, whose COMMIT would only close it): dbfleet rolls it back and fails the migration on every tenant (TRANSACTION_LEFT_OPEN) — under knex its history row and whatever ran next would sit in that transaction, lost when the connection closes",
    safe: 'end every BEGIN TRAN with a COMMIT, or drop its own BEGIN TRAN and let dbfleet run the migration in a transaction',
  },
} as const satisfies Record<string, LintRuleInfo>;

/** Word edges in T-SQL: `@index`, `#t`, `drop_existing` are names, not keywords. */
const B = '(?<![\\w@#$])';
const E = '(?![\\w@#$])';
const CREATE_TABLE = new RegExp(`${B}CREATE\\s+TABLE${E}`, 'gi');
const CREATE_INDEX = new RegExp(
  `${B}CREATE\\s+(?:UNIQUE\\s+)?(?:(?:NON)?CLUSTERED\\s+)?(?:COLUMNSTORE\\s+)?INDEX${E}`,
  'gi',
);
const ALTER_INDEX = new RegExp(`${B}ALTER\\s+INDEX${E}`, 'gi');
const ALTER_TABLE = new RegExp(`${B}ALTER\\s+TABLE${E}`, 'gi');
const LOCK_TIMEOUT_FOREVER = new RegExp(`${B}SET\\s+LOCK_TIMEOUT\\s+-\\s*1${E}`, 'gi');
const ON = /\s*ON(?![\w@#$])/iy;
const ALTER_COLUMN = /\s*ALTER\s+COLUMN(?![\w@#$])/iy;
const ADD = /\s*(?:WITH\s+(?:NO)?CHECK\s+)?ADD(?![\w@#$])/iy;
/** A PRIMARY KEY or UNIQUE constraint is enforced by an index, built when the constraint is added. */
const INDEXED_CONSTRAINT = new RegExp(`${B}(?:PRIMARY\\s+KEY|UNIQUE)${E}`, 'i');
const ONLINE = /ONLINE\s*=\s*ON(?![\w@#$])/i;
const REBUILD = new RegExp(`${B}REBUILD${E}`, 'i');
/** Where the next statement starts when the previous one has no semicolon. */
const STATEMENT_START = new RegExp(
  `${B}(?:CREATE|ALTER|DROP|INSERT|UPDATE|DELETE|MERGE|SELECT|EXEC|EXECUTE|DECLARE|SET|IF|BEGIN|END|PRINT|TRUNCATE|GRANT|REVOKE|RAISERROR|THROW|RETURN|WHILE|USE)${E}`,
  'iy',
);
const PART = /\[(?:[^\]]|\]\])*\]|"(?:[^"]|"")*"|[\w@#$]+/g;
const NAME = new RegExp(`\\s*(?:(?:${PART.source})\\s*\\.\\s*)*(?:${PART.source})`, 'y');

/** A (possibly qualified, bracketed) name at `at` in the original text: its last part, unquoted, lower-cased. */
function readName(sql: string, at: number): { name: string; end: number } | undefined {
  NAME.lastIndex = at;
  const match = NAME.exec(sql);
  if (!match) return undefined;
  const last = match[0].match(PART)!.at(-1)!;
  const unquoted = /^["[]/.test(last) ? last.slice(1, -1) : last;
  return { name: unquoted.toLowerCase(), end: at + match[0].length };
}

/** The end of the statement starting at `from`: a top-level `;` or the next statement's first keyword. */
function statementEnd(code: string, from: number): number {
  let depth = 0;
  for (let i = from; i < code.length; i++) {
    const ch = code[i]!;
    if (ch === '(') depth++;
    else if (ch === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0 && ch === ';') return i;
    else if (depth === 0 && /[a-z]/i.test(ch)) {
      STATEMENT_START.lastIndex = i;
      if (STATEMENT_START.test(code)) return i;
    }
  }
  return code.length;
}

/** `ON <table>` after the index name (or `ALL`), at `at`. */
function indexTable(sql: string, code: string, at: number): { table: string; end: number } | undefined {
  const index = readName(sql, at);
  if (!index) return undefined;
  ON.lastIndex = index.end;
  if (!ON.test(code)) return undefined;
  const table = readName(sql, ON.lastIndex);
  return table && { table: table.name, end: table.end };
}

/** Counted over the whole migration: a BEGIN TRAN in one statement may be committed by a later one. */
function transactionHits(migration: LintMigrationInput): LintHit[] {
  const all = migration.statements.map(transactionStatements);
  const begins = all.flatMap((s) => s.begins);
  const commits = all.flatMap((s) => s.commits);
  const hit = (rule: LintRuleInfo, s: TransactionStatement, detail: string): LintHit => ({
    rule: rule.id,
    statement: s.text,
    detail,
  });
  if (migration.transactional) {
    // The unpaired COMMITs are the last ones: the earlier ones close the script's own BEGIN TRANs.
    const unpaired = commits
      .slice(begins.length)
      .map((s) => hit(MSSQL_RULES.commitInTransaction, s, `line ${s.line}, unpaired`));
    const rollbacks = all
      .flatMap((s) => s.rollbacks)
      .map((s) => hit(MSSQL_RULES.commitInTransaction, s, `line ${s.line}`));
    if (unpaired.length + rollbacks.length > 0) return [...unpaired, ...rollbacks];
  }
  if (begins.length <= commits.length) return [];
  const open = begins.at(-1)!;
  return [
    hit(
      MSSQL_RULES.beginWithoutCommit,
      open,
      `line ${open.line}: ${begins.length} BEGIN TRAN, ${commits.length} COMMIT`,
    ),
  ];
}

export function createMssqlLinter(stillNew: StillNew): DialectLinter {
  const createdIn = new Map<string, string>();
  const isNew = (table: string, current: string) =>
    table.startsWith('#') || (createdIn.has(table) && stillNew(createdIn.get(table)!, current));
  return {
    lintMigration(migration: LintMigrationInput): LintHit[] {
      const hits: LintHit[] = transactionHits(migration);
      for (const sql of migration.statements) {
        const code = maskNonCode(sql);
        const hit = (rule: LintRuleInfo, start: number, end: number, detail?: string) =>
          hits.push({
            rule: rule.id,
            statement: sql.slice(start, end).trim(),
            ...(detail ? { detail } : {}),
          });
        // Statements are checked in script order, so a table created above an index on it is known.
        const found = [
          ...[...code.matchAll(CREATE_TABLE)].map((m) => ({ kind: 'table' as const, m })),
          ...[...code.matchAll(CREATE_INDEX)].map((m) => ({ kind: 'index' as const, m })),
          ...[...code.matchAll(ALTER_INDEX)].map((m) => ({ kind: 'rebuild' as const, m })),
          ...[...code.matchAll(ALTER_TABLE)].map((m) => ({ kind: 'alter' as const, m })),
          ...[...code.matchAll(LOCK_TIMEOUT_FOREVER)].map((m) => ({ kind: 'timeout' as const, m })),
        ].sort((a, b) => a.m.index - b.m.index);
        for (const { kind, m } of found) {
          const after = m.index + m[0].length;
          if (kind === 'table') {
            const table = readName(sql, after);
            if (table) createdIn.set(table.name, migration.name);
          } else if (kind === 'index' || kind === 'rebuild') {
            const target = indexTable(sql, code, after);
            if (!target || isNew(target.table, migration.name)) continue;
            const end = statementEnd(code, target.end);
            const body = code.slice(m.index, end);
            if (kind === 'rebuild' && !REBUILD.test(body)) continue;
            if (!ONLINE.test(body)) hit(MSSQL_RULES.indexOffline, m.index, end, `table ${target.table}`);
          } else if (kind === 'alter') {
            const table = readName(sql, after);
            if (!table || isNew(table.name, migration.name)) continue;
            ADD.lastIndex = table.end;
            if (ADD.test(code)) {
              // knex's t.primary() and t.unique(…, { useConstraint: true }) on an existing table.
              const end = statementEnd(code, ADD.lastIndex);
              const body = code.slice(m.index, end);
              if (INDEXED_CONSTRAINT.test(body) && !ONLINE.test(body))
                hit(MSSQL_RULES.indexOffline, m.index, end, `table ${table.name}`);
              continue;
            }
            ALTER_COLUMN.lastIndex = table.end;
            if (!ALTER_COLUMN.test(code)) continue;
            const column = readName(sql, ALTER_COLUMN.lastIndex);
            const end = statementEnd(code, ALTER_COLUMN.lastIndex);
            if (!ONLINE.test(code.slice(m.index, end)))
              hit(MSSQL_RULES.alterColumn, m.index, end, `column ${table.name}.${column?.name ?? '?'}`);
          } else hit(MSSQL_RULES.lockTimeoutDisabled, m.index, m.index + m[0].length);
        }
      }
      return hits;
    },
  };
}
