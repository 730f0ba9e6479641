import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Fingerprint, FingerprintLevel, TableFingerprint } from '../backup-types.js';
import { buildFingerprint, hashOf, RowSetHash } from '../fingerprint-hash.js';

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** A typed, lossless text of one value: 1, 1.0, '1' and x'01' must not hash alike. */
function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'n';
  if (typeof value === 'bigint') return `i${value}`;
  if (typeof value === 'number') return Number.isInteger(value) ? `i${value}` : `r${value}`;
  if (typeof value === 'string') return `s${value}`;
  if (Buffer.isBuffer(value)) return `b${value.toString('hex')}`;
  return `?${String(value)}`;
}

function contentHash(db: Database.Database, table: string): { rows: number; content: string } {
  const set = new RowSetHash();
  let rows = 0;
  const stmt = db
    .prepare(`select * from ${q(table)}`)
    .raw(true)
    .safeIntegers(true);
  for (const row of stmt.iterate() as Iterable<unknown[]>) {
    rows++;
    set.add(
      createHash('sha256')
        .update(JSON.stringify(row.map(canonical)))
        .digest('hex'),
    );
  }
  return { rows, content: hashOf([rows, set.digest()], 32) };
}

/** One table as the catalog describes it: the raw rows both the backup hash and the drift shape read. */
export interface SqliteTableRows {
  name: string;
  sql: string | null;
  /** pragma table_xinfo: `[name, type, notnull, dflt_value, pk, hidden]`. */
  columns: unknown[][];
  /** `[name, sql]`; an automatic index has no SQL: its pragma index_xinfo rows as JSON instead. */
  indexes: [string, string][];
  /** pragma foreign_key_list: `[id, seq, table, from, to, on_update, on_delete, match]`. */
  foreignKeys: unknown[][];
}

/** Views and triggers, keyed `view v` / `trigger t`, with their SQL. */
export function readSqliteCatalog(db: Database.Database): {
  tables: SqliteTableRows[];
  objects: Record<string, string>;
} {
  const tables = db
    .prepare(
      "select name, sql from sqlite_master where type = 'table' and name not like 'sqlite\\_%' escape '\\' order by name",
    )
    .all() as { name: string; sql: string | null }[];
  const indexSql = db.prepare(
    "select name, sql from sqlite_master where type = 'index' and tbl_name = ? order by name",
  );
  const indexCols = db.prepare('select * from pragma_index_xinfo(?) order by seqno');
  const columnRows = db.prepare(
    'select name, type, "notnull", dflt_value, pk, hidden from pragma_table_xinfo(?) order by cid',
  );
  const fkRows = db.prepare('select * from pragma_foreign_key_list(?) order by id, seq');
  const out = tables.map((t) => ({
    name: t.name,
    sql: t.sql,
    columns: columnRows.raw(true).all(t.name) as unknown[][],
    indexes: (indexSql.all(t.name) as { name: string; sql: string | null }[]).map((i): [string, string] => [
      i.name,
      i.sql ?? JSON.stringify(indexCols.raw(true).all(i.name)),
    ]),
    foreignKeys: fkRows.raw(true).all(t.name) as unknown[][],
  }));
  const objects = db
    .prepare(
      "select type, name, sql from sqlite_master where type in ('view', 'trigger') order by type, name",
    )
    .all() as { type: string; name: string; sql: string | null }[];
  return {
    tables: out,
    objects: Object.fromEntries(objects.map((o) => [`${o.type} ${o.name}`, o.sql ?? ''])),
  };
}

/** The CREATE statement as the hash sees it: whitespace runs are one space. */
export const normalizedSql = (sql: string | null) => sql?.replace(/\s+/g, ' ').trim() ?? null;

/**
 * Fingerprint of a SQLite database: per table its columns (pragma table_xinfo), indexes, foreign keys and
 * CREATE statement (which holds the CHECK constraints); views and triggers as objects. The caller runs it in
 * a read transaction when it must match a backup's snapshot. `withoutIndexes`: see FingerprintOptions.
 */
export function fingerprintSqlite(
  db: Database.Database,
  level: FingerprintLevel,
  withoutIndexes: readonly string[] = [],
): Fingerprint {
  const catalog = readSqliteCatalog(db);
  const without = new Set(withoutIndexes);
  const out: Record<string, TableFingerprint> = {};
  for (const t of catalog.tables) {
    const indexes = t.indexes.filter(([name]) => !without.has(name));
    const entry: TableFingerprint = {
      schema: hashOf([normalizedSql(t.sql), t.columns, indexes, t.foreignKeys]),
    };
    if (level === 'counts') {
      entry.rows = Number((db.prepare(`select count(*) as n from ${q(t.name)}`).get() as { n: number }).n);
    } else if (level === 'full') {
      Object.assign(entry, contentHash(db, t.name));
    }
    out[t.name] = entry;
  }
  const objects = Object.entries(catalog.objects).map(([key, sql]) => [key, hashOf(sql)]);
  return buildFingerprint(level, out, Object.fromEntries(objects));
}
