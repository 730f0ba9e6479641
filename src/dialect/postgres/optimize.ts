import type { Knex } from 'knex';
import type { AnalyzeRequest, OptimizerDriver } from '../optimize-types.js';
import { countPostgresMatching, deletePostgresBatch, describePostgresTable } from './optimize-cleanup.js';
import {
  createPostgresIndex,
  dropPostgresIndex,
  inspectPostgresIndex,
  postgresCreateIndexSql,
  q,
  rebuildPostgresIndex,
} from './optimize-index.js';

interface Candidate {
  schema: string;
  name: string;
  modified: boolean;
}

/**
 * The tables ANALYZE should cover: the named ones, or every table of the tenant's schema — never a bare
 * `ANALYZE`, which in a schema-per-tenant database would analyze every other tenant too.
 */
async function candidates(db: Knex, tables?: readonly string[]): Promise<Candidate[]> {
  const filter = tables?.length
    ? 'c.oid = any(?::regclass[])'
    : "n.nspname = current_schema() and c.relkind in ('r', 'p', 'm')";
  const bindings = tables?.length ? [await resolveAll(db, tables)] : [];
  const res = await db.raw(
    `select n.nspname as schema, c.relname as name,
            coalesce(s.n_mod_since_analyze > 0 or (s.last_analyze is null and s.last_autoanalyze is null), true) as modified
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       left join pg_stat_user_tables s on s.relid = c.oid
      where ${filter}
      order by c.relname`,
    bindings,
  );
  return res.rows as Candidate[];
}

async function resolveAll(db: Knex, tables: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  const oids: string[] = [];
  for (const table of tables) {
    const res = await db.raw(
      `select c.oid::text as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relname = ? and n.nspname = current_schema()`,
      [table],
    );
    const oid = res.rows[0]?.oid as string | null;
    if (oid) oids.push(oid);
    else missing.push(table);
  }
  if (missing.length) throw new Error(`cannot analyze: no table ${missing.map((t) => `"${t}"`).join(', ')}`);
  return oids;
}

async function analyzePostgres(db: Knex, request: AnalyzeRequest): Promise<string[]> {
  const done: string[] = [];
  // One table per statement, so lock_timeout bounds the wait on each table separately.
  for (const table of await candidates(db, request.tables)) {
    if (request.onlyModified && !table.modified) continue;
    await db.raw(`ANALYZE ${q(table.schema)}.${q(table.name)}`);
    done.push(table.name);
  }
  return done;
}

export const postgresOptimizer: OptimizerDriver = {
  describeTable: describePostgresTable,
  inspectIndex: inspectPostgresIndex,
  createIndexSql: postgresCreateIndexSql,
  createIndex: createPostgresIndex,
  dropIndex: dropPostgresIndex,
  rebuildIndex: rebuildPostgresIndex,
  countMatching: countPostgresMatching,
  deleteBatch: deletePostgresBatch,
  analyze: analyzePostgres,
};
