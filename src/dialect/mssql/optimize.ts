import type { Knex } from 'knex';
import type {
  AnalyzeRequest,
  BatchQuery,
  DeleteBatchResult,
  IndexSpec,
  IndexState,
  OptimizerDriver,
  TableInfo,
} from '../optimize-types.js';
import { queryBatch } from './raw-connection.js';
import { serverInfoOf, tenantSchema } from './session-registry.js';
import type { ServerInfo } from './sql/catalog.js';
import {
  countMatchingSql,
  keyColumnTypesSql,
  keysetDeleteSql,
  readKeyColumnTypes,
  statisticsCandidatesSql,
  updateStatisticsSql,
} from './sql/cleanup.js';
import {
  createIndexSql,
  describeTableSql,
  dropIndexSql,
  filterProbeSql,
  indexDefinitionText,
  indexInspectionSql,
  looseFilter,
  planIndexBuild,
  readExistingIndex,
  readTableInfo,
  tableRef,
  wantedDefinitionText,
} from './sql/index-build.js';

/**
 * `createIndexSql` has no connection to ask the server's edition, so describeTable — which always runs
 * first, and returns the TableInfo every later call gets — records it for the table.
 */
const serverOfTable = new WeakMap<TableInfo, ServerInfo>();

async function describeMssqlTable(db: Knex, table: string): Promise<TableInfo | undefined> {
  const info = readTableInfo((await queryBatch(db, describeTableSql(table, tenantSchema(db)))).rows);
  if (info) serverOfTable.set(info, await serverInfoOf(db));
  return info;
}

function buildSql(spec: IndexSpec, table: TableInfo, dropExisting = false): string {
  const server = serverOfTable.get(table);
  // Unknown edition (a TableInfo not from describeTable): build offline, which every edition can do.
  const plan = server
    ? planIndexBuild(server.engineEdition, server.edition, spec.name, tableRef(table))
    : { online: false, warning: `edition unknown: ${spec.name} is built offline` };
  const sql = createIndexSql(spec, table, { online: plan.online, dropExisting });
  return plan.warning ? `-- ${plan.warning.replace(/\s+/g, ' ')}\n${sql}` : sql;
}

/** The server's own spelling of the spec's filter, or undefined when the probe cannot run (alias types…). */
async function probeFilter(db: Knex, spec: IndexSpec, table: TableInfo): Promise<string | null | undefined> {
  if (!spec.where) return null;
  try {
    const { rows } = await queryBatch(db, filterProbeSql(spec, table));
    return rows[0]?.filter_definition == null ? null : String(rows[0].filter_definition);
  } catch {
    return undefined;
  }
}

async function inspectMssqlIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<IndexState> {
  const rows = (await queryBatch(db, indexInspectionSql(spec.name, table.schema ?? 'dbo'))).rows;
  const existing = readExistingIndex(rows, table.name);
  if (!existing) return { exists: false };
  let wantedFilter: string | null = null;
  if (spec.where) {
    const probed = existing.filter ? await probeFilter(db, spec, table) : spec.where;
    wantedFilter =
      probed !== undefined
        ? probed
        : existing.filter && looseFilter(existing.filter) === looseFilter(spec.where)
          ? existing.filter
          : spec.where;
  }
  const definition = indexDefinitionText(existing);
  const wanted = wantedDefinitionText(spec, wantedFilter);
  return {
    exists: true,
    table: existing.table,
    // A disabled index is SQL Server's broken leftover: not maintained, not used.
    valid: !existing.disabled,
    matches: existing.table === table.name && definition === wanted,
    definition: `ON ${existing.table} ${definition}`,
    wanted: `ON ${table.name} ${wanted}`,
  };
}

/** A failed CREATE INDEX (online or not) is rolled back whole by the server: nothing to clean up. */
async function createMssqlIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  await queryBatch(db, buildSql(spec, table));
}

async function dropMssqlIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  await queryBatch(db, dropIndexSql(spec.name, table));
}

/**
 * CREATE INDEX … WITH (DROP_EXISTING = ON, ONLINE = ON) replaces the index in one operation while the old
 * one keeps serving queries; it needs the old index on the same table, otherwise this is a plain build.
 */
async function rebuildMssqlIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  const rows = (await queryBatch(db, indexInspectionSql(spec.name, table.schema ?? 'dbo'))).rows;
  const onTable = readExistingIndex(rows, table.name)?.table === table.name;
  await queryBatch(db, buildSql(spec, table, onTable));
}

async function countMssqlMatching(db: Knex, query: BatchQuery): Promise<number> {
  const rows = (await db.raw(countMatchingSql(query.table, query.where), [
    ...query.bindings,
  ] as Knex.RawBinding[])) as Record<string, unknown>[];
  return Number(rows[0]?.n ?? 0);
}

async function deleteMssqlBatch(
  trx: Knex.Transaction,
  query: BatchQuery & { after?: unknown[]; limit: number },
): Promise<DeleteBatchResult> {
  const key = readKeyColumnTypes(
    (await queryBatch(trx, keyColumnTypesSql(query.table, query.key))).rows,
    query.key,
  );
  const { sql, bindings } = keysetDeleteSql({
    table: query.table,
    key,
    where: query.where,
    whereBindings: query.bindings,
    after: query.after,
    limit: query.limit,
  });
  const rows = (await trx.raw(sql, bindings as Knex.RawBinding[])) as Record<string, unknown>[];
  const row = rows[0] ?? {};
  const deleted = Number(row.deleted ?? 0);
  // One statement selects and deletes, so every row walked was deleted.
  const lastKey = deleted > 0 ? key.map((_, i) => row[`k${i}`]) : undefined;
  return { scanned: deleted, deleted, ...(lastKey ? { lastKey } : {}) };
}

/** UPDATE STATISTICS per table, so LOCK_TIMEOUT bounds each table's wait separately. */
async function analyzeMssql(db: Knex, request: AnalyzeRequest): Promise<string[]> {
  const schema = tenantSchema(db);
  const candidates = (await queryBatch(db, statisticsCandidatesSql({ schema, tables: request.tables }))).rows;
  if (request.tables?.length) {
    const found = new Set(candidates.map((c) => String(c.table_name)));
    const missing = request.tables.filter((t) => !found.has(t));
    if (missing.length)
      throw new Error(`cannot update statistics: no table ${missing.map((t) => `"${t}"`).join(', ')}`);
  }
  const done: string[] = [];
  for (const candidate of candidates) {
    if (request.onlyModified && Number(candidate.modified) !== 1) continue;
    const table = { schema: String(candidate.schema_name), name: String(candidate.table_name) };
    await queryBatch(db, updateStatisticsSql(table));
    done.push(table.name);
  }
  return done;
}

export const mssqlOptimizer: OptimizerDriver = {
  describeTable: describeMssqlTable,
  inspectIndex: inspectMssqlIndex,
  createIndexSql: (spec, table) => buildSql(spec, table),
  createIndex: createMssqlIndex,
  dropIndex: dropMssqlIndex,
  rebuildIndex: rebuildMssqlIndex,
  countMatching: countMssqlMatching,
  deleteBatch: deleteMssqlBatch,
  analyze: analyzeMssql,
};
