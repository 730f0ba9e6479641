import { splitGoBatches } from './go-splitter.js';
import { MODULE_DEFINITION } from './non-transactional.js';
import { lineAt, maskNonCode } from './tsql-lexer.js';

/**
 * A script's own transaction statements, read on the lexed script (strings, comments and delimited
 * identifiers never count). In T-SQL a BEGIN TRAN inside dbfleet's transaction only nests (@@TRANCOUNT 1 → 2)
 * and its COMMIT only un-nests: harmless. An unpaired COMMIT commits dbfleet's transaction, and any ROLLBACK
 * that is not to a savepoint rolls all of it back (@@TRANCOUNT → 0). The migrator asks the server whether
 * that happened (lint warns before); these counts say which of the two it can have been.
 */
export interface TransactionStatement {
  /** The statement's words as written, e.g. `COMMIT TRAN`, `ROLLBACK`. */
  text: string;
  /** 1-based line in the script. */
  line: number;
}

export interface TransactionStatements {
  begins: TransactionStatement[];
  commits: TransactionStatement[];
  /** ROLLBACKs of the whole transaction: not `ROLLBACK TRAN <name>` after a `SAVE TRAN <name>`. */
  rollbacks: TransactionStatement[];
}

const B = '(?<![\\w@#$])';
const E = '(?![\\w@#$])';
const TRAN = '(?:TRAN|TRANSACTION)';
/** Not BEGIN TRY / CATCH / DIALOG / CONVERSATION, nor a BEGIN … END block. */
const BEGIN = `BEGIN\\s+(?:DISTRIBUTED\\s+)?${TRAN}${E}`;
/** COMMIT [TRAN | WORK] [name]: a name or variable after it is the transaction's, not a savepoint's. */
const COMMIT = `COMMIT(?:\\s+(?:${TRAN}|WORK))?${E}`;
/** ROLLBACK [TRAN | WORK] [name]: the name, when there, may be a savepoint's. */
const ROLLBACK = `ROLLBACK(?:\\s+(?:WORK${E}|${TRAN}${E}(?:\\s+([\\w@#$]+))?))?${E}`;
const SAVE = `SAVE\\s+${TRAN}\\s+([\\w@#$]+)`;
/** `ALTER DATABASE … WITH ROLLBACK IMMEDIATE` is an option, not a statement. */
const NOT_OPTION = '(?<!WITH\\s+)';
const STATEMENT = new RegExp(`${B}${NOT_OPTION}(?:(${BEGIN})|(${COMMIT})|(${ROLLBACK})|${SAVE})`, 'gi');

/** Every BEGIN TRAN, COMMIT and whole-transaction ROLLBACK of the script, in script order. */
export function transactionStatements(script: string): TransactionStatements {
  const found: TransactionStatements = { begins: [], commits: [], rollbacks: [] };
  const savepoints = new Set<string>();
  for (const batch of splitGoBatches(script)) {
    const code = maskNonCode(batch.sql);
    // A procedure's or trigger's body is stored here, not run: its ROLLBACK runs later, elsewhere.
    if (MODULE_DEFINITION.test(code)) continue;
    for (const m of code.matchAll(STATEMENT)) {
      const [text, begin, commit, rollback, rollbackTo, saved] = m;
      if (saved) {
        savepoints.add(saved.toLowerCase());
        continue;
      }
      // A name that is a savepoint of this script: only back to it, @@TRANCOUNT unchanged.
      if (rollback && rollbackTo && savepoints.has(rollbackTo.toLowerCase())) continue;
      const statement = {
        text: text.replace(/\s+/g, ' '),
        line: batch.startLine + lineAt(batch.sql, m.index) - 1,
      };
      const list = begin ? found.begins : commit ? found.commits : found.rollbacks;
      for (let run = 0; run < batch.repeat; run += 1) list.push(statement);
    }
  }
  return found;
}

/** Whether the statements can end the transaction they run in: an unpaired COMMIT, or a ROLLBACK. */
export function mayEndOuterTransaction(s: TransactionStatements): boolean {
  return s.commits.length > s.begins.length || s.rollbacks.length > 0;
}

/** Adds `more` to `into` (scripts run one after another in the same transaction). */
export function addTransactionStatements(into: TransactionStatements, more: TransactionStatements): void {
  into.begins.push(...more.begins);
  into.commits.push(...more.commits);
  into.rollbacks.push(...more.rollbacks);
}
