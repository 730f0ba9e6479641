import type { Knex } from 'knex';
import type {
  AnalyzeRequest,
  BatchQuery,
  DeleteBatchResult,
  OptimizerDriver,
  TableInfo,
} from '../optimize-types.js';
import {
  createSqliteIndex,
  dropSqliteIndex,
  inspectSqliteIndex,
  q,
  rebuildSqliteIndex,
  sqliteCreateIndexSql,
} from './optimize-index.js';

type Row = Record<string, unknown>;

async function describeSqliteTable(db: Knex, table: string): Promise<TableInfo | undefined> {
  const found = (await db.raw(
    "select name from sqlite_master where type = 'table' and name = ? collate nocase",
    [table],
  )) as { name: string }[];
  const name = found[0]?.name;
  if (!name) return undefined;
  const key = (await db.raw('select name from pragma_table_info(?) where pk > 0 order by pk', [name])) as {
    name: string;
  }[];
  return { name, primaryKey: key.map((k) => k.name) };
}

function keyRow(key: readonly string[]): string {
  return key.length === 1 ? q(key[0]!) : `(${key.map(q).join(', ')})`;
}

function placeholders(n: number): string {
  return n === 1 ? '?' : `(${Array.from({ length: n }, () => '?').join(', ')})`;
}

async function countSqliteMatching(db: Knex, query: BatchQuery): Promise<number> {
  const rows = (await db.raw(
    `select count(*) as n from ${q(query.table.name)} where (${query.where})`,
    bind([...query.bindings]),
  )) as Row[];
  return Number(rows[0]?.n ?? 0);
}

/**
 * Reads the next keys, then deletes the matching rows of exactly that key range, in the caller's
 * transaction: SQLite has one writer at a time, so nothing can slip into the range in between.
 */
async function deleteSqliteBatch(
  trx: Knex.Transaction,
  query: BatchQuery & { after?: unknown[]; limit: number },
): Promise<DeleteBatchResult> {
  const table = q(query.table.name);
  const columns = query.key.map(q).join(', ');
  const row = keyRow(query.key);
  const from = query.after ? ` and ${row} > ${placeholders(query.key.length)}` : '';
  const keys = (await trx.raw(
    `select ${columns} from ${table} where (${query.where})${from} order by ${columns} limit ?`,
    bind([...query.bindings, ...(query.after ?? []), query.limit]),
  )) as Row[];
  const last = keys.at(-1);
  if (!last) return { scanned: 0, deleted: 0 };
  const lastKey = query.key.map((k) => last[k]);
  const gone = (await trx.raw(
    `delete from ${table} where (${query.where})${from} and ${row} <= ${placeholders(query.key.length)} returning 1 as x`,
    bind([...query.bindings, ...(query.after ?? []), ...lastKey]),
  )) as Row[];
  return { scanned: keys.length, deleted: gone.length, lastKey };
}

/**
 * Named tables get ANALYZE; all tables get ANALYZE too, or with `onlyModified`, PRAGMA optimize, which
 * picks the tables whose statistics are missing or stale (0x10002: even tables this connection has not
 * queried). analysis_limit samples big tables instead of reading them whole.
 */
async function analyzeSqlite(db: Knex, request: AnalyzeRequest): Promise<string[]> {
  await db.raw('PRAGMA analysis_limit = 1000');
  if (!request.tables?.length) {
    if (request.onlyModified) {
      await db.raw('PRAGMA optimize = 0x10002');
      return ['*'];
    }
    await db.raw('ANALYZE');
    const tables = (await db.raw(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name",
    )) as { name: string }[];
    return tables.map((t) => t.name);
  }
  const done: string[] = [];
  for (const name of request.tables) {
    const table = await describeSqliteTable(db, name);
    if (!table) throw new Error(`cannot analyze: no table "${name}"`);
    await db.raw(`ANALYZE ${q(table.name)}`);
    done.push(table.name);
  }
  return done;
}

export const sqliteOptimizer: OptimizerDriver = {
  describeTable: describeSqliteTable,
  inspectIndex: inspectSqliteIndex,
  createIndexSql: sqliteCreateIndexSql,
  createIndex: createSqliteIndex,
  dropIndex: (db, spec) => dropSqliteIndex(db, spec),
  rebuildIndex: rebuildSqliteIndex,
  countMatching: countSqliteMatching,
  deleteBatch: deleteSqliteBatch,
  analyze: analyzeSqlite,
};

/** User bindings are whatever the definition holds; knex passes them to the driver as they are. */
function bind(values: readonly unknown[]): Knex.RawBinding[] {
  return values as Knex.RawBinding[];
}
