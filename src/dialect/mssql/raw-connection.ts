import type { Knex } from 'knex';

/**
 * Direct access to the tedious connection under a knex instance. knex runs every query through
 * sp_executesql, and SQL Server restores SET options when dynamic SQL returns: `knex.raw('SET LOCK_TIMEOUT
 * 100')` changes nothing for the next query. Session settings, application locks read back through a
 * return code, and GO batches (whose SETs must carry over to the next batch, as in sqlcmd) are therefore
 * sent as plain SQL batches on the pinned connection.
 * These are structural types for the few tedious members used, so the module never loads tedious itself.
 */
export interface RawColumn {
  value: unknown;
  metadata: { colName: string };
}

export interface RawRequest {
  on(event: 'row', listener: (columns: RawColumn[]) => void): unknown;
  /** Per-request timeout in ms (0 = none), overriding the connection's requestTimeout. */
  setTimeout(timeout?: number): void;
  /** Sends an attention (or drops the request not sent yet): its callback gets an ECANCEL error. */
  cancel?(): void;
}

export type RequestConstructor = new (
  sql: string,
  callback: (err: Error | null | undefined, rowCount?: number) => void,
) => RawRequest;

export interface RawConnection {
  execSql(request: RawRequest): void;
  execSqlBatch(request: RawRequest): void;
  beginTransaction(callback: (err?: Error | null) => void, name?: string, isolationLevel?: number): void;
  close(): void;
  inTransaction: boolean;
  /** tedious reads `config.options.requestTimeout` each time a request starts. */
  config: { options: { requestTimeout?: number } };
}

/** The tedious module as knex holds it (`client.driver`). */
export interface TediousLike {
  Connection: new (config: unknown) => unknown;
  Request: RequestConstructor;
}

/**
 * The members of knex's mssql client dbfleet touches. A transaction's client is built from the client
 * prototype with `driver` and `config` copied over, so those two are what a session and its transactions share.
 */
export interface MssqlKnexClient {
  driver: TediousLike;
  _driver(): TediousLike;
  config: object;
  acquireConnection(): Promise<RawConnection>;
  releaseConnection(connection: RawConnection): Promise<unknown>;
}

export function mssqlClient(on: Knex | Knex.Transaction): MssqlKnexClient {
  return on.client as Knex.Client & MssqlKnexClient;
}

/**
 * Runs `fn` on the raw connection of `on`: the session's one pooled connection, or the connection a
 * transaction holds (a transaction's client hands out its own connection).
 */
export async function withRawConnection<T>(
  on: Knex | Knex.Transaction,
  fn: (connection: RawConnection, Request: RequestConstructor) => Promise<T>,
): Promise<T> {
  const client = mssqlClient(on);
  const connection = await client.acquireConnection();
  try {
    return await fn(connection, client.driver.Request);
  } finally {
    await client.releaseConnection(connection);
  }
}

export interface BatchResult {
  /** Rows of every result set, in order, keyed by column name. */
  rows: Record<string, unknown>[];
  /** Rows affected, summed over the batch's statements. */
  rowCount: number;
}

export interface BatchOptions {
  /** Overrides the connection's request timeout for this batch (0 = none). */
  timeoutMs?: number;
  /** Cancels the batch when it aborts (a request aborted before it starts runs to its end). */
  signal?: AbortSignal;
}

/** Sends one SQL batch as-is (no `?` bindings, no sp_executesql) and collects its rows. */
export function runBatch(
  connection: RawConnection,
  Request: RequestConstructor,
  sql: string,
  options: BatchOptions = {},
): Promise<BatchResult> {
  return new Promise((resolve, reject) => {
    const rows: Record<string, unknown>[] = [];
    const cancel = () => request.cancel?.();
    const request = new Request(sql, (err, rowCount) => {
      options.signal?.removeEventListener('abort', cancel);
      if (err) reject(err);
      else resolve({ rows, rowCount: rowCount ?? 0 });
    });
    options.signal?.addEventListener('abort', cancel, { once: true });
    request.on('row', (columns) => {
      const row: Record<string, unknown> = {};
      for (const column of columns) row[column.metadata.colName] = column.value;
      rows.push(row);
    });
    if (options.timeoutMs !== undefined) request.setTimeout(Math.max(0, Math.floor(options.timeoutMs)));
    connection.execSqlBatch(request);
  });
}

/**
 * One SQL batch on a session's knex or on a transaction: for the SQL built in sql/*.ts, which must run as
 * written (a `?` in a string literal is not a binding).
 */
export function queryBatch(
  on: Knex | Knex.Transaction,
  sql: string,
  options?: BatchOptions,
): Promise<BatchResult> {
  return withRawConnection(on, (connection, Request) => runBatch(connection, Request, sql, options));
}
