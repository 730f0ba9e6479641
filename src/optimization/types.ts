import type { Knex } from 'knex';
import type { DialectName } from '../core/tenant.js';

/**
 * Optimizations are idempotent maintenance scripts that run on every upgrade: a module in
 * `optimizations/` default-exports one of these or an array of them. Unlike migrations they are not
 * applied once; each run converges the tenant towards the definition and reports what that took.
 */
interface Common {
  /** Unique across the directory; an index's name is the index's name in the database (≤ 63 chars). */
  name: string;
  description?: string;
  /** Only on these dialects (e.g. a GIN index: `['postgres']`); all when absent. */
  dialects?: DialectName[];
  /** How long each statement may wait for a lock (default: the run's lock timeout). */
  lockTimeoutMs?: number;
  /** How long each statement may run (0 = no limit; see each kind for its default). */
  statementTimeoutMs?: number;
  /**
   * Retries of a statement (an index build, a cleanup batch, an ANALYZE) that could not get its locks,
   * with exponential backoff (default 5); then the optimization fails with the reason.
   */
  retries?: number;
  /** First backoff delay (default 200, doubled each retry, capped at 10 s). */
  retryDelayMs?: number;
}

export interface IndexOptimization extends Common {
  kind: 'index';
  table: string;
  /** Column names, optionally `desc` / `nulls last`, or a parenthesized expression: `(lower(email))`. */
  columns: string[];
  unique?: boolean;
  /** Partial index predicate (SQL). */
  where?: string;
  /** Covering columns (PostgreSQL, SQL Server). */
  include?: string[];
  /** Access method (PostgreSQL): btree (default), hash, gin, gist, brin, spgist. */
  method?: 'btree' | 'hash' | 'gin' | 'gist' | 'brin' | 'spgist';
}

export interface CleanupOptimization extends Common {
  kind: 'cleanup';
  table: string;
  /** The rows to delete (SQL with `?` placeholders). An empty or always-true predicate is refused. */
  where: string;
  /**
   * Values for the placeholders; a function is evaluated at run time (e.g. a cut-off date), so the
   * definition — and its checksum — stays the same from run to run.
   */
  bindings?: unknown[] | ((context: { dialect: DialectName }) => unknown[]);
  /** Rows per batch, each batch its own short transaction (default 1000). */
  batchSize?: number;
  /** Stop (cleanly, reported `partial`) after this many rows; the next run continues. */
  maxRows?: number;
  /** Stop starting new batches after this long; the next run continues. */
  maxDurationMs?: number;
  /** Sleep between batches so replicas and other tenants keep up (default 50). */
  pauseMs?: number;
}

export interface AnalyzeOptimization extends Common {
  kind: 'analyze';
  /** Tables to analyze; all of the tenant's tables when absent. */
  tables?: string[];
  /** Skip tables unchanged since their last analyze (Ola Hallengren's @OnlyModifiedStatistics). */
  onlyModified?: boolean;
}

export interface CustomContext {
  tenant: { id: string; dialect: DialectName; schema?: string };
  signal: AbortSignal;
  /** Reports progress or a remark as a `notice` event. */
  log(message: string): void;
}

/** What a custom optimization may return: nothing, a row count, or `{ rows }`. */
export type CustomResult = undefined | number | { rows?: number };

export interface CustomOptimization extends Common {
  kind: 'custom';
  /**
   * Runs on the tenant's pinned connection (outside any transaction; open one if you need it). May
   * return (or resolve to) a CustomResult: the rows it touched, for the report.
   */
  run(knex: Knex, context: CustomContext): unknown;
  /** Run only until it has succeeded once with this definition (a one-off backfill); default every run. */
  once?: boolean;
}

export type Optimization = IndexOptimization | CleanupOptimization | AnalyzeOptimization | CustomOptimization;
export type OptimizationKind = Optimization['kind'];

/** A validated definition, loaded once per run and shared by every tenant. */
export interface LoadedOptimization {
  definition: Optimization;
  /** sha256 of the definition's stable JSON (functions by their source): changes when the definition does. */
  checksum: string;
  /** The module it came from, for messages. */
  file?: string;
}

/** What happened to one optimization on one tenant, as the `--json` report lists it. */
export type OptimizationAction =
  | 'created'
  | 'rebuilt'
  | 'healed'
  | 'skipped'
  | 'conflict'
  | 'deleted'
  | 'partial'
  | 'analyzed'
  | 'ran'
  | 'failed'
  | 'would-create'
  | 'would-rebuild'
  | 'would-heal'
  | 'would-delete'
  | 'would-analyze'
  | 'would-run';

export interface OptimizationOutcome {
  name: string;
  action: OptimizationAction;
  rows?: number;
}

export type OptimizeDetails = {
  optimizations: OptimizationOutcome[];
};
