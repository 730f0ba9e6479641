/**
 * knex alters a SQLite table it cannot ALTER (dropColumn, dropForeign, `.alter()`, dropPrimary, …) by
 * rebuilding it: its SQLite client's `ddl(…)` object reads the table's CREATE statement from sqlite_master
 * (`getTableSql`) and writes a new table from it. Offline that read answers no rows, and knex fails on
 * them with an internal TypeError ("Cannot read properties of undefined (reading 'sql')"). The recording
 * client hands out this object with that read wrapped, so the failure says why the SQL stops there.
 *
 * What this relies on in knex 3.3.0 (pinned by test/unit/capture-sql-table-rebuild.test.ts): the SQLite
 * client's `ddl(compiler, pragma, connection)` builds the rebuild, whose `getTableSql()` is the read and
 * whose `tableNameRaw` is the table's name as the migration wrote it. Other dialects' clients have no `ddl`.
 */
interface TableRebuild {
  tableNameRaw?: unknown;
  getTableSql?: () => Promise<unknown>;
}

export const UNREADABLE_DEFINITION =
  'on SQLite from its current definition (read from sqlite_master), which plan --sql cannot read: it answers as an empty database';

/** The client class with its `ddl` (when it has one) answering an unreadable definition with a reason. */
export function explainTableRebuilds<T extends abstract new (...args: never[]) => object>(clientClass: T): T {
  const proto = clientClass.prototype as { ddl?: (...args: unknown[]) => TableRebuild };
  const ddl = proto.ddl;
  if (typeof ddl !== 'function') return clientClass;
  proto.ddl = function (this: unknown, ...args: unknown[]): TableRebuild {
    const rebuild = ddl.apply(this, args);
    const read = rebuild.getTableSql;
    if (typeof read !== 'function') return rebuild;
    rebuild.getTableSql = async () => {
      try {
        return await read.call(rebuild);
      } catch (cause) {
        // Every read of the recording client answers no rows, so the definition read here was empty.
        const table = typeof rebuild.tableNameRaw === 'string' ? ` \`${rebuild.tableNameRaw}\`` : '';
        throw new Error(`knex rebuilds the table${table} ${UNREADABLE_DEFINITION}`, { cause });
      }
    };
    return rebuild;
  };
  return clientClass;
}
