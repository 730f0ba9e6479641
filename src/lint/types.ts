import type { DialectName } from '../core/tenant.js';

/** One flagged statement of one migration. */
export interface LintFinding {
  migration: string;
  dialect: DialectName;
  /** The rule's id, as `-- dbfleet: allow=<rule>` names it. */
  rule: string;
  /** The statement as derived (for a knex migration: the SQL knex would send). */
  statement: string;
  /** What is specific to this statement: the column, the function, the type change. */
  detail?: string;
  /** Why it hurts on a live database. */
  why: string;
  /** The pattern that does the same without the harm. */
  safe: string;
  /** The reason the migration gives for accepting this rule; absent when it does not accept it. */
  accepted?: string;
}

export interface MigrationLint {
  name: string;
  file: string;
  dialect: DialectName;
  findings: LintFinding[];
  /** What the lint could not see or did not use: SQL it could not derive, accepts that accept nothing. */
  notes: string[];
}

export interface LintSummary {
  migrations: number;
  findings: number;
  accepted: number;
  unaccepted: number;
}

/** The `dbfleet lint --json` report. */
export interface LintReport {
  command: 'lint';
  /** No unaccepted finding, and every selected tenant's pending migrations were read. */
  ok: boolean;
  /** `pending`: what the selected tenants would run; `all`: every migration, without a database. */
  mode: 'pending' | 'all';
  migrations: MigrationLint[];
  summary: LintSummary;
  /** Tenants whose pending migrations could not be read: what they would run is not linted. */
  unreadTenants: { id: string; code: string; message: string }[];
  /** About the run as a whole (a dialect lint does not cover, say). */
  notes: string[];
}
