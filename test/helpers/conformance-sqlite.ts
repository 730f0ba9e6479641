// The SQLite side of the conformance suite: what a migrated file looks like (sqlite_master, history, data).
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { TenantInput } from '../../src/index.js';
import {
  describeRows,
  type HistoryLocation,
  isComparedTable,
  type Observation,
  parseObservations,
  type Snapshot,
} from './conformance-snapshot.js';

export function sqliteKnexEnv(file: string): Record<string, string> {
  return { CONFORMANCE_CLIENT: 'better-sqlite3', CONFORMANCE_DATABASE: file };
}

export function sqliteTenant(id: string, file: string): TenantInput {
  return { id, dialect: 'sqlite', connection: file };
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

function withFile<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(name) !== undefined;
}

export function sqliteSnapshot(file: string, history: HistoryLocation): Snapshot {
  if (!existsSync(file)) return { schema: [], indexes: [], history: null, lock: null, data: {} };
  return withFile(file, (db) => {
    const master = db
      .prepare(
        "select type, name, tbl_name, sql from sqlite_master where name not like '%dbfleet%' and tbl_name not like '%dbfleet%' order by type, name",
      )
      .all() as { type: string; name: string; tbl_name: string; sql: string | null }[];
    const lockTable = `${history.tableName}_lock`;
    const data: Snapshot['data'] = {};
    for (const { name } of master.filter((m) => m.type === 'table')) {
      if (!isComparedTable(name, history)) continue;
      const rows = db.prepare(`select * from ${ident(name)} order by rowid`).all();
      data[name] = describeRows(rows.length, rows.map((r) => JSON.stringify(r)).join(' | '));
    }
    return {
      schema: master.map((m) => `${m.type} ${m.name} on ${m.tbl_name}: ${m.sql ?? '(implicit)'}`),
      indexes: [],
      history: hasTable(db, history.tableName)
        ? (
            db.prepare(`select name, batch from ${ident(history.tableName)} order by id`).all() as {
              name: string;
              batch: number;
            }[]
          ).map((r) => ({ name: r.name, batch: Number(r.batch) }))
        : null,
      lock: hasTable(db, lockTable)
        ? (
            db.prepare(`select is_locked from ${ident(lockTable)} order by "index"`).all() as {
              is_locked: number;
            }[]
          ).map((r) => Number(r.is_locked))
        : null,
      data,
    };
  });
}

export function sqliteObservations(file: string): Observation[] {
  if (!existsSync(file)) return [];
  return withFile(file, (db) =>
    hasTable(db, 'observations')
      ? parseObservations(
          db.prepare('select label, seen, connection from observations order by id').all() as {
            label: string;
            seen: string;
            connection: string;
          }[],
        )
      : [],
  );
}
