import Database from 'better-sqlite3';

/** The migration names knex's history table of a SQLite tenant file holds, in order; [] without one. */
export function sqliteHistory(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    const exists = db.prepare("select 1 from sqlite_master where name = 'knex_migrations'").get();
    if (!exists) return [];
    return db
      .prepare('select name from knex_migrations order by id')
      .all()
      .map((r) => (r as { name: string }).name);
  } finally {
    db.close();
  }
}
