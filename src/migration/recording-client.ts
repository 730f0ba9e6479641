import type { Knex } from 'knex';
import { explainTableRebuilds } from './offline-table-rebuild.js';

/** A query as knex hands it to its client's `_query`: the SQL with `?` placeholders and its bindings. */
export interface RecordedQuery {
  sql: string;
  bindings?: readonly unknown[];
  /**
   * knex sent it itself, as a bare SQL string: its Transaction's BEGIN, SAVEPOINT, COMMIT, ROLLBACK.
   * What the migration writes — `knex.raw('begin')` too — comes through knex's runner as a query object.
   */
  byKnex: boolean;
  /** It reads rows (a select, a schema check, a RETURNING): the empty answer picks the migration's branch. */
  read: boolean;
}

interface QueryObject {
  sql: string;
  bindings?: readonly unknown[];
  /** knex's query builder sets these: what the query is for, and what it returns of what it writes. */
  method?: string;
  returning?: unknown;
  response?: unknown;
  context?: unknown;
}

/** The builder's methods that read rows; a raw query or a schema check reads when its SQL does. */
const READ_METHODS = new Set(['select', 'first', 'pluck']);

/**
 * SQL whose answer is rows, after any leading comments and parentheses: a query (SELECT, WITH, VALUES,
 * TABLE, SHOW, EXPLAIN) or a PRAGMA that reads a setting or a table's shape rather than assigning one.
 */
const READ_SQL =
  /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*(?:select|with|values|table|show|explain|pragma\b[^=]*$)/i;

/**
 * knex's SQL Server update, delete and increment end in `select @@rowcount` and read the count it
 * answers; it is the write's own outcome (what pg's rowCount and SQLite's `changes` say), not rows read.
 */
const MSSQL_ROW_COUNT = '@@rowcount';

function readsRows(query: QueryObject): boolean {
  const returning = Boolean(query.returning) && query.returning !== MSSQL_ROW_COUNT;
  return returning || READ_METHODS.has(query.method ?? '') || READ_SQL.test(query.sql);
}

/**
 * What a driver answers for a query on an empty database, in every driver's shape at once: better-sqlite3
 * and tedious give an array of rows, pg `{ rows, rowCount, command }`. knex's own processResponse then
 * makes of it what the migration gets — `hasTable` false, `first()` undefined, a select `[]` — so a
 * migration that reads before it writes takes the branch an empty database takes. (An aggregate would
 * return a row there; here it returns none.)
 */
function emptyResponse(sql: string): unknown[] {
  const word = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? '';
  const command = word === 'WITH' || word === 'SHOW' ? 'SELECT' : word;
  return Object.assign([], { rows: [], rowCount: 0, command, recordset: [], rowsAffected: [0] });
}

type Done = (err?: Error) => void;

/**
 * The one connection a recording client hands out; no driver ever sees it, every query stops at
 * `_query`. PostgreSQL and SQLite transactions are SQL (BEGIN, SAVEPOINT, COMMIT) and reach `_query` too,
 * but knex's SQL Server transactions call tedious' Connection itself — `beginTransaction`,
 * `saveTransaction`, `commitTransaction`, `rollbackTransaction`, and read `inTransaction` and `state`
 * before a rollback — so those answer here at once, as an idle, logged-in connection does.
 */
function offlineConnection(): object {
  const answer = (done: Done) => done();
  return {
    beginTransaction: answer,
    saveTransaction: answer,
    commitTransaction: answer,
    rollbackTransaction: answer,
    inTransaction: true,
    state: { name: 'LoggedIn' },
  };
}

/**
 * The dialect's own knex client class, with its database replaced by a recorder: every query goes to
 * `record` and gets an empty result. It is a subclass rather than an instance patched in place because
 * knex builds each transaction's client from the client's class (`Object.create(constructor.prototype)`):
 * a `knex.transaction(…)`, a nested one, `transacting(trx)` then record too instead of reaching the driver.
 *
 * What this relies on in knex 3.3.0, each pinned by test/unit/capture-sql-transactions.test.ts,
 * capture-sql-settings.test.ts, capture-sql-raw-transaction.test.ts and capture-sql-table-rebuild.test.ts for PostgreSQL, SQLite and SQL Server: knex takes a client class as
 * `client` (its documented way to plug a dialect in); every query, a transaction's too, reaches the
 * client's `_query(connection, { sql, bindings })` after `positionBindings`, on a connection from
 * `acquireConnection`; a transaction's client is built from the class and shares the config (so
 * `client.config.client`, the name a migration branches on, holds inside it); the SQL Server transaction
 * calls of `offlineConnection`; knex's Transaction sends its control statements as bare strings to
 * `client.query(connection, sql)`, the runner sends every builder's and `knex.raw`'s SQL as an object, and
 * that object is the one `_query` gets; the SQLite client's processResponse reads an insert's, update's or
 * delete's outcome from `query.context` (`lastID`, `changes`: without it, deriving any SQLite insert fails);
 * the SQL Server client's update and delete read their count from the answer's first row
 * (capture-sql-mssql-rowcount.test.ts).
 */
export function recordingClientClass(
  dialectClient: typeof Knex.Client,
  clientName: string,
  record: (query: RecordedQuery) => void,
): typeof Knex.Client {
  const connection = offlineConnection();
  const sentByKnex = new WeakSet<object>();
  class RecordingClient extends dialectClient {
    // knex hands this class its config as `client`; the migration reads the name, as on a tenant's knex.
    constructor(config: Knex.Config) {
      super({ ...config, client: clientName });
    }

    override async acquireConnection(): Promise<object> {
      return connection;
    }

    override async releaseConnection(): Promise<void> {}

    // Keep `?` placeholders: `_query` would otherwise get the driver's `$1` form, which the caller's
    // `knex.raw` cannot bind, so a migration inserting rows with bindings could not be derived.
    override positionBindings(sql: string): string {
      return sql;
    }

    // A bare string is knex's own (its transactions'); knex would wrap it in `{ sql }` itself.
    override query(conn: unknown, queryParam: unknown): unknown {
      if (typeof queryParam !== 'string') return super.query(conn, queryParam);
      const query = { sql: queryParam };
      sentByKnex.add(query);
      return super.query(conn, query);
    }

    async _query(_connection: unknown, query: QueryObject): Promise<QueryObject> {
      const byKnex = sentByKnex.has(query);
      const read = !byKnex && readsRows(query);
      record({ sql: query.sql, ...(query.bindings ? { bindings: query.bindings } : {}), byKnex, read });
      query.response =
        query.returning === MSSQL_ROW_COUNT
          ? // tedious' shape, one row of one unnamed column: nothing was written (knex reads `response[0]['']`).
            [[{ metadata: { colName: '' }, value: 0 }]]
          : emptyResponse(query.sql);
      // SQLite's insert / update / delete answer from the statement's run info: nothing written.
      query.context = { lastID: 0, changes: 0 };
      return query;
    }
  }
  // SQLite's table rebuilds read the table's definition, which is not there: say so when they fail.
  return explainTableRebuilds(RecordingClient);
}
