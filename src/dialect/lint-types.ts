/**
 * The dialect-level contract of `dbfleet lint`: each dialect's rules read that dialect's SQL (PostgreSQL's
 * own parser, the T-SQL lexer) and report hits; src/lint/ runs them, applies the accepts and reports.
 */

/** What a rule tells the migration's author: the harm, and the pattern that avoids it. */
export interface LintRuleInfo {
  /** Stable id, used in `-- dbfleet: allow=<id>` and `config.allow`. */
  id: string;
  /** One line: what the rule flags. */
  title: string;
  why: string;
  safe: string;
}

/** One flagged statement. */
export interface LintHit {
  rule: string;
  /** The statement as derived (whole; the CLI shortens it). */
  statement: string;
  /** What is specific to this statement (a function name, a column), when the rule's text is not enough. */
  detail?: string;
}

/** One migration as a linter reads it, in the order the migrations run. */
export interface LintMigrationInput {
  name: string;
  /** Runs in one transaction (the default; `transaction: false` opts out). */
  transactional: boolean;
  /** The SQL it runs: the statements derived as `plan --sql` derives them. */
  statements: readonly string[];
}

/**
 * A linter keeps what earlier migrations did (tables created, column types, validated checks), so feed
 * it every migration in order — also those whose hits the caller will not report.
 */
export interface DialectLinter {
  lintMigration(migration: LintMigrationInput): LintHit[];
}

/**
 * Whether a table created by migration `createdIn` is still new — empty and unused by the running app —
 * when migration `current` runs. The caller knows which migrations run together on which tenants.
 */
export type StillNew = (createdIn: string, current: string) => boolean;

/** Shared by every dialect: the migration's own config can switch the lock timeout off too. */
export const LOCK_TIMEOUT_DISABLED: LintRuleInfo = {
  id: 'lock-timeout-disabled',
  title: 'lock timeout switched off (set to 0: wait forever)',
  why: 'a DDL statement queued behind a long transaction waits forever, and every query on that table queues behind it: the app stalls',
  safe: 'keep a short lock timeout (dbfleet sets one) and retry the migration; raise it, never to 0, where a lock is known to take longer',
};
