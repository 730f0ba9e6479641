import type { Knex } from 'knex';
import type { IndexColumn, IndexSpec, IndexState, TableInfo } from '../optimize-types.js';

/** Local quoting (importing ./index.js from here would make a cycle). */
export function q(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

export function qualified(table: TableInfo): string {
  return table.schema ? `${q(table.schema)}.${q(table.name)}` : q(table.name);
}

/** DDL takes no bindings: a `?` in a predicate is SQL, so escape it from knex's placeholder rewriting. */
function ddl(db: Knex | Knex.Transaction, sql: string) {
  return db.raw(sql.replace(/\?/g, '\\?'));
}

function keySql(column: IndexColumn): string {
  if (column.kind === 'expression') return column.sql;
  let sql = q(column.name);
  if (column.order) sql += ` ${column.order.toUpperCase()}`;
  if (column.nulls) sql += ` NULLS ${column.nulls.toUpperCase()}`;
  return sql;
}

/** Everything after `ON <table>`: method, keys, covering columns, predicate. */
function indexBody(spec: IndexSpec): string {
  let sql = `USING ${spec.method ?? 'btree'} (${spec.columns.map(keySql).join(', ')})`;
  if (spec.include?.length) sql += ` INCLUDE (${spec.include.map(q).join(', ')})`;
  if (spec.where) sql += ` WHERE (${spec.where})`;
  return sql;
}

function createSql(spec: IndexSpec, name: string, on: string, concurrently: boolean): string {
  return `CREATE ${spec.unique ? 'UNIQUE ' : ''}INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${q(name)} ON ${on} ${indexBody(spec)}`;
}

export function postgresCreateIndexSql(spec: IndexSpec, table: TableInfo): string {
  return createSql(spec, spec.name, qualified(table), true);
}

/** `pg_get_indexdef` without the index and table names, which are not part of what the index *is*. */
function canonical(indexdef: string): string {
  const using = indexdef.indexOf(' USING ');
  return `${/^CREATE UNIQUE /i.test(indexdef) ? 'UNIQUE ' : ''}${using >= 0 ? indexdef.slice(using + 1) : indexdef}`;
}

interface ExistingIndex {
  table_name: string;
  table_schema: string;
  valid: boolean;
  def: string;
}

async function findIndex(
  db: Knex,
  name: string,
  schema: string | undefined,
): Promise<ExistingIndex | undefined> {
  const res = await db.raw(
    `select c.relname as table_name, cn.nspname as table_schema, (x.indisvalid and x.indisready) as valid,
            pg_get_indexdef(i.oid) as def
       from pg_class i
       join pg_namespace n on n.oid = i.relnamespace
       join pg_index x on x.indexrelid = i.oid
       join pg_class c on c.oid = x.indrelid
       join pg_namespace cn on cn.oid = c.relnamespace
      where i.relname = ? and n.nspname = coalesce(?, current_schema())`,
    [name, schema ?? null],
  );
  return res.rows[0] as ExistingIndex | undefined;
}

/**
 * How PostgreSQL itself would spell the wanted index: built on an empty temporary copy of the table's
 * columns in a rolled-back transaction, so predicates and expressions are compared as the server
 * normalizes them (`status = 'x'` vs `(status)::text = 'x'::text`) and nothing is left behind.
 */
async function wantedDefinition(db: Knex, spec: IndexSpec, table: TableInfo): Promise<string> {
  const trx = await db.transaction();
  try {
    await trx.raw(`create temporary table "dbfleet_index_probe" (like ${qualified(table)}) on commit drop`);
    await ddl(trx, createSql(spec, 'dbfleet_index_probe_idx', 'pg_temp."dbfleet_index_probe"', false));
    const res = await trx.raw(`select pg_get_indexdef('pg_temp.dbfleet_index_probe_idx'::regclass) as def`);
    return canonical(String(res.rows[0].def));
  } finally {
    await trx.rollback();
  }
}

export async function inspectPostgresIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<IndexState> {
  const existing = await findIndex(db, spec.name, table.schema);
  if (!existing) return { exists: false };
  const sameTable =
    existing.table_name === table.name && (!table.schema || existing.table_schema === table.schema);
  const wanted = await wantedDefinition(db, spec, table);
  const definition = canonical(existing.def);
  return {
    exists: true,
    table: existing.table_name,
    valid: existing.valid === true,
    matches: sameTable && definition === wanted,
    definition: `ON ${existing.table_name} ${definition}`,
    wanted: `ON ${table.name} ${wanted}`,
  };
}

async function dropByName(db: Knex, name: string, table: TableInfo): Promise<void> {
  const target = table.schema ? `${q(table.schema)}.${q(name)}` : q(name);
  await db.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${target}`);
}

async function dropInvalid(db: Knex, name: string, table: TableInfo): Promise<void> {
  const leftover = await findIndex(db, name, table.schema);
  if (leftover && !leftover.valid) await dropByName(db, name, table);
}

/**
 * CREATE INDEX CONCURRENTLY: writes continue during the build. A build that fails (lock timeout,
 * cancelled, duplicate key) leaves an INVALID index that still slows every write, so it is dropped at
 * once (pg-boss and pg_repack do the same). That drop waits for the same transactions the build waited
 * for, so when the build timed out behind one it usually times out too: the leftover stays, and the
 * next attempt drops it first — else its CREATE would fail "already exists" instead of building (and a
 * drop that still cannot get its lock is a lock timeout, retried like the build).
 */
async function buildConcurrently(db: Knex, spec: IndexSpec, name: string, table: TableInfo): Promise<void> {
  await dropInvalid(db, name, table);
  try {
    await ddl(db, createSql(spec, name, qualified(table), true));
  } catch (err) {
    await dropInvalid(db, name, table).catch(() => {});
    throw err;
  }
}

export async function createPostgresIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  await buildConcurrently(db, spec, spec.name, table);
}

export async function dropPostgresIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  await dropByName(db, spec.name, table);
}

const NEW_SUFFIX = '_dbfleet_new';

/**
 * pg_repack's way: build the replacement concurrently under a temporary name while the old index keeps
 * serving queries, then drop the old one concurrently and rename. Only the rename takes a brief lock.
 */
export async function rebuildPostgresIndex(db: Knex, spec: IndexSpec, table: TableInfo): Promise<void> {
  const temporary = spec.name.slice(0, 63 - NEW_SUFFIX.length) + NEW_SUFFIX;
  await dropByName(db, temporary, table);
  await buildConcurrently(db, spec, temporary, table);
  await dropByName(db, spec.name, table);
  const target = table.schema ? `${q(table.schema)}.${q(temporary)}` : q(temporary);
  await db.raw(`ALTER INDEX ${target} RENAME TO ${q(spec.name)}`);
}
