import type { Knex } from 'knex';

/** Per-migration settings: knex's `export const config = { transaction: false }`, plus dbfleet's timeouts. */
export interface MigrationConfig {
  transaction: boolean;
  lockTimeoutMs?: number;
  statementTimeoutMs?: number;
  /**
   * `dbfleet lint` findings this migration accepts: rule id → why it is safe here. A module's
   * `config.allow`; a `.sql` migration says it in `-- dbfleet: allow=<rule> reason: <why>` lines instead.
   */
  allow?: Record<string, string>;
}

export interface MigrationRunContext {
  /** Runs a SQL script through the tenant's dialect (multi-statement; GO batches on SQL Server). */
  runScript(sql: string, on: Knex | Knex.Transaction): Promise<void>;
}

/** One migration, loaded once per run and shared by every tenant. */
export interface Migration {
  /** The file name, exactly as knex records it in `knex_migrations.name`. */
  name: string;
  /** sha256 of the file with line endings normalized: an edit changes it, a CRLF↔LF conversion does not. */
  checksum: string;
  /** Path of the file, for messages. */
  file: string;
  /**
   * Set only under knex's `sortDirsSeparately`: the folder this migration was loaded from. Each such
   * folder is its own sequence, so the out-of-order check compares a migration with its folder's alone.
   */
  folder?: string;
  kind: 'module' | 'sql';
  /**
   * Why knex would refuse to run this file (a module without both `up` and `down`, or one that does not
   * load: its `up` and `down` throw the load error); absent when valid.
   */
  invalid?: string;
  config: MigrationConfig;
  up(knex: Knex | Knex.Transaction, ctx: MigrationRunContext): Promise<void>;
  down?: (knex: Knex | Knex.Transaction, ctx: MigrationRunContext) => Promise<void>;
  /** The SQL text of a `.sql` migration (up and optional down), for `plan --sql` and dialect checks. */
  sql?: { up: string; down?: string };
}

/** A row of knex's own history table. */
export interface AppliedMigration {
  id: number;
  name: string;
  batch: number;
}
