import type { Knex } from 'knex';

/**
 * The dialect-level contract of optimizations. The core decides *what* to do (plan, retries,
 * pacing, records); a driver knows *how* on its engine. Every identifier a driver puts in SQL is quoted;
 * `where` predicates are the user's SQL, passed through with their bindings.
 */

/** One key of an index: a column (optionally ordered) or a parenthesized expression such as `(lower(email))`. */
export type IndexColumn =
  | { kind: 'column'; name: string; order?: 'asc' | 'desc'; nulls?: 'first' | 'last' }
  | { kind: 'expression'; sql: string };

export interface IndexSpec {
  name: string;
  table: string;
  columns: readonly IndexColumn[];
  unique: boolean;
  /** Partial index predicate (raw SQL, no bindings: DDL takes none). */
  where?: string;
  /** Covering columns (PostgreSQL `INCLUDE`, SQL Server `INCLUDE`). */
  include?: readonly string[];
  /** Access method (PostgreSQL `USING`); btree when absent. */
  method?: string;
}

export type IndexState =
  | { exists: false }
  | {
      exists: true;
      /** The table the existing index is on. */
      table: string;
      /** False for the INVALID leftover of an interrupted concurrent build (PostgreSQL `indisvalid`). */
      valid: boolean;
      /** The existing index has exactly the definition `spec` asks for (same table, keys, predicate…). */
      matches: boolean;
      /** The existing definition and the wanted one, normalized, for conflict messages. */
      definition: string;
      wanted: string;
    };

export interface TableInfo {
  /** Schema the table resolved to (PostgreSQL search_path), when the dialect has schemas. */
  schema?: string;
  name: string;
  /** Primary key columns in key order; empty when the table has none. */
  primaryKey: string[];
}

/** The rows a cleanup targets: `where` (with its bindings) on `table`, walked in `key` order. */
export interface BatchQuery {
  table: TableInfo;
  key: readonly string[];
  where: string;
  bindings: readonly unknown[];
}

export interface DeleteBatchResult {
  /** Matching rows this batch walked over (less than the limit: the walk reached the end). */
  scanned: number;
  deleted: number;
  /** Key of the last row walked; the next batch starts strictly after it. Opaque: pass it back as is. */
  lastKey?: unknown[];
}

export interface AnalyzeRequest {
  /** Tables to analyze; all of the tenant's tables when absent. */
  tables?: readonly string[];
  /** Skip tables with no modifications since their last analyze (Ola Hallengren's @OnlyModifiedStatistics). */
  onlyModified: boolean;
}

export interface OptimizerDriver {
  /** Resolves a table (through the tenant's schema) and its primary key; undefined when it does not exist. */
  describeTable(db: Knex, table: string): Promise<TableInfo | undefined>;
  /** What exists under the index's name, and whether it already is what `spec` asks for. */
  inspectIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<IndexState>;
  /** The statement `createIndex` runs, for dry-run reports. */
  createIndexSql(spec: IndexSpec, table: TableInfo): string;
  /**
   * Builds the index without blocking writes where the engine can (PostgreSQL CONCURRENTLY, outside any
   * transaction). On failure it removes what the failed build left behind, then rethrows.
   */
  createIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void>;
  /** Drops the index (concurrently where the engine can). */
  dropIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void>;
  /**
   * Replaces an existing index with `spec`, keeping the old one serving queries until the new one is
   * valid where the engine allows (build under a temporary name, drop, rename).
   */
  rebuildIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void>;
  /** Rows matching the predicate (strictly after `after` in key order when given). */
  countMatching(db: Knex, query: BatchQuery): Promise<number>;
  /**
   * Deletes up to `limit` matching rows strictly after `after` in key order, inside the caller's
   * transaction, and returns where the walk got to: no batch rescans what earlier batches saw.
   */
  deleteBatch(
    trx: Knex.Transaction,
    query: BatchQuery & { after?: unknown[]; limit: number },
  ): Promise<DeleteBatchResult>;
  /** Updates planner statistics; returns the tables it analyzed (`*` when the engine chose them itself). */
  analyze(db: Knex, request: AnalyzeRequest): Promise<string[]>;
}
