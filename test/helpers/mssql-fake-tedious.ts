import { EventEmitter } from 'node:events';
import type { TediousLike } from '../../src/dialect/mssql/raw-connection.js';

/**
 * A scripted stand-in for tedious: knex drives it through the same calls it makes on tedious (connect,
 * execSql, execSqlBatch, beginTransaction…), and every request is logged with how it was sent, the
 * request timeout it would run under and whether a transaction was open.
 *
 * It keeps @@TRANCOUNT as SQL Server would from what it is sent: knex's beginTransaction / commit /
 * rollback, and the BEGIN TRAN, COMMIT, ROLLBACK [TRAN savepoint] and SAVE TRAN statements of each batch,
 * in order. `SELECT @@TRANCOUNT` is answered from it; a COMMIT or ROLLBACK with none open fails (3902 /
 * 3903), as does a request through sp_executesql that changed it (266). tedious' own `inTransaction`
 * follows it as the server's ENVCHANGE tokens make it, unless `staleInTransaction` (a driver whose
 * bookkeeping missed it).
 */
export interface Reply {
  rows?: Record<string, unknown>[];
  error?: Error;
  /** The server rolled the transaction back (XACT_ABORT). */
  abortsTransaction?: boolean;
}
export type Responder = (sql: string, connection: FakeConnection) => Reply | undefined;

export interface LogEntry {
  kind: 'sql' | 'batch' | 'begin' | 'commit' | 'rollback';
  sql: string;
  timeout: number | undefined;
  inTransaction: boolean;
  parameters: unknown[];
  connection: number;
}

/** Shaped like tedious' Request (knex's transaction clients create real ones, which the fake runs too). */
export class FakeRequest extends EventEmitter {
  timeout: number | undefined;
  parameters: { name: string; value: unknown }[] = [];
  constructor(
    readonly sqlTextOrProcedure: string,
    readonly callback: (err?: Error | null, rowCount?: number) => void,
  ) {
    super();
  }
  setTimeout(ms?: number) {
    this.timeout = ms;
  }
  addParameter(name: string, _type: unknown, value: unknown) {
    this.parameters.push({ name, value });
  }
}

export const serverError = (message: string, number: number) =>
  Object.assign(new Error(message), { code: 'EREQUEST', number, lineNumber: 2 });

const NO_BEGIN = (what: string) =>
  serverError(
    `The ${what} TRANSACTION request has no corresponding BEGIN TRANSACTION.`,
    what === 'COMMIT' ? 3902 : 3903,
  );

const TRANSACTION_STATEMENT =
  /(?<!WITH\s+)\b(IF\s+@@TRANCOUNT\s*>\s*0\s+)?(?:(BEGIN\s+TRAN(?:SACTION)?)|(COMMIT)(?:\s+TRAN(?:SACTION)?)?|(ROLLBACK)(?:\s+TRAN(?:SACTION)?(?:\s+(\w+))?)?|SAVE\s+TRAN(?:SACTION)?\s+(\w+))\b/gi;

export class FakeConnection extends EventEmitter {
  state = { name: 'LoggedIn' };
  inTransaction = false;
  trancount = 0;
  private savepoints = new Set<string>();
  closed = false;
  connected = false;
  __knex__disposed?: string;
  readonly config: { options: Record<string, unknown> & { requestTimeout?: number } };
  constructor(
    settings: { options: Record<string, unknown> },
    readonly fake: FakeTedious,
  ) {
    super();
    this.config = { options: { ...settings.options } };
    fake.connections.push(this);
  }
  connect(callback: (err?: Error) => void) {
    setImmediate(() => callback(this.fake.connectError));
  }
  execSql(request: FakeRequest) {
    this.run('sql', request);
  }
  execSqlBatch(request: FakeRequest) {
    this.run('batch', request);
  }
  private record(kind: LogEntry['kind'], sql: string, request?: FakeRequest) {
    this.fake.log.push({
      kind,
      sql,
      timeout: request?.timeout ?? this.config.options.requestTimeout,
      inTransaction: this.inTransaction,
      parameters: (request?.parameters ?? []).map((p) => p.value),
      connection: this.fake.connections.indexOf(this),
    });
  }
  private run(kind: 'sql' | 'batch', request: FakeRequest) {
    if (this.state.name !== 'LoggedIn') {
      request.callback(
        Object.assign(new Error(`Requests can only be made in the LoggedIn state, not ${this.state.name}`), {
          code: 'EINVALIDSTATE',
        }),
      );
      return;
    }
    this.record(kind, request.sqlTextOrProcedure, request);
    this.state = { name: 'SentClientRequest' };
    setImmediate(() => {
      const sql = request.sqlTextOrProcedure;
      const reply = /^\s*SELECT @@TRANCOUNT/i.test(sql)
        ? { rows: [{ n: this.trancount }] }
        : (this.fake.responder(sql, this) ?? {});
      this.state = { name: 'LoggedIn' };
      if (reply.abortsTransaction) this.setTrancount(0);
      if (reply.error) {
        request.callback(reply.error);
        return;
      }
      const before = this.trancount;
      const failed = this.runTransactionStatements(sql);
      if (failed) {
        request.callback(failed);
        return;
      }
      if (kind === 'sql' && this.trancount !== before) {
        request.callback(
          serverError(
            `Transaction count after EXECUTE indicates a mismatching number of BEGIN and COMMIT statements. Previous count = ${before}, current count = ${this.trancount}.`,
            266,
          ),
        );
        return;
      }
      for (const row of reply.rows ?? []) {
        request.emit(
          'row',
          Object.entries(row).map(([colName, value]) => ({ value, metadata: { colName } })),
        );
      }
      request.emit('requestCompleted');
      request.callback(undefined, reply.rows?.length ?? 0);
    });
  }
  /** The batch's transaction statements in order; the error a COMMIT or ROLLBACK with none open raises. */
  private runTransactionStatements(sql: string): Error | undefined {
    for (const [, ifOpen, begin, commit, rollback, to, save] of sql.matchAll(TRANSACTION_STATEMENT)) {
      if (ifOpen && this.trancount === 0) continue;
      if (begin) this.setTrancount(this.trancount + 1);
      else if (save) this.savepoints.add(save.toLowerCase());
      else if (this.trancount === 0) return NO_BEGIN(commit ? 'COMMIT' : 'ROLLBACK');
      else if (commit) this.setTrancount(this.trancount - 1);
      else if (rollback && !(to && this.savepoints.has(to.toLowerCase()))) this.setTrancount(0);
    }
    return undefined;
  }
  /** The server's ENVCHANGE tokens tell tedious when the outermost transaction begins and ends. */
  private setTrancount(n: number) {
    if (!this.fake.staleInTransaction && (n === 0) !== (this.trancount === 0)) this.inTransaction = n > 0;
    if (n === 0) this.savepoints.clear();
    this.trancount = n;
  }
  beginTransaction(callback: (err?: Error) => void) {
    this.record('begin', 'BEGIN TRANSACTION');
    setImmediate(() => {
      this.setTrancount(this.trancount + 1);
      this.inTransaction = true;
      callback();
    });
  }
  commitTransaction(callback: (err?: Error) => void) {
    this.record('commit', 'COMMIT');
    setImmediate(() => {
      if (this.trancount === 0) return callback(NO_BEGIN('COMMIT'));
      this.setTrancount(this.trancount - 1);
      this.inTransaction = this.trancount > 0;
      callback();
    });
  }
  rollbackTransaction(callback: (err?: Error) => void) {
    this.record('rollback', 'ROLLBACK');
    setImmediate(() => {
      if (this.trancount === 0) return callback(NO_BEGIN('ROLLBACK'));
      this.setTrancount(0);
      this.inTransaction = false;
      callback();
    });
  }
  close() {
    this.closed = true;
    this.state = { name: 'Final' };
    setImmediate(() => this.emit('end'));
  }
}

export class FakeTedious {
  readonly log: LogEntry[] = [];
  readonly connections: FakeConnection[] = [];
  connectError: Error | undefined;
  /** tedious' `inTransaction` stays as knex's begin left it, whatever the batches did. */
  staleInTransaction = false;
  constructor(public responder: Responder) {}
  get driver(): TediousLike {
    const fake = this;
    return {
      Connection: class extends FakeConnection {
        constructor(settings: { options: Record<string, unknown> }) {
          super(settings, fake);
        }
      },
      Request: FakeRequest,
      TYPES: Object.fromEntries(
        ['NVarChar', 'Int', 'BigInt', 'Float', 'Bit', 'DateTime', 'VarBinary'].map((n) => [n, { name: n }]),
      ),
    } as unknown as TediousLike;
  }
  /** What reached the server, without the session's own opening batch. */
  sent(kind?: LogEntry['kind']) {
    return this.log.filter((e) => !kind || e.kind === kind).map((e) => e.sql);
  }
}

/** Routes by pattern; the first match answers. */
export function route(...routes: [RegExp, Reply | ((sql: string) => Reply)][]): Responder {
  return (sql) => {
    for (const [pattern, reply] of routes)
      if (pattern.test(sql)) return typeof reply === 'function' ? reply(sql) : reply;
    return {};
  };
}
