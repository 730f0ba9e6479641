import { EventEmitter } from 'node:events';

/** What the scripted server answers a batch with: rows, or an error. */
export interface ScriptedReply {
  rows?: Record<string, unknown>[];
  error?: Error;
}

/** A SQL Server error as tedious hands it over (`number` is the server's message number). */
export const serverError = (number: number, message: string) =>
  Object.assign(new Error(message), { number, code: 'EREQUEST' });

/**
 * A knex whose mssql client hands out one scripted tedious connection: every batch is recorded in `sent`
 * and answered by `reply` — enough for the dialect's raw batches (queryBatch), no server needed.
 */
export function scriptedKnex(reply: (sql: string) => ScriptedReply): { knex: never; sent: string[] } {
  const sent: string[] = [];
  class Request extends EventEmitter {
    constructor(
      readonly sql: string,
      readonly callback: (err?: Error | null, rowCount?: number) => void,
    ) {
      super();
    }
    setTimeout() {}
  }
  const connection = {
    inTransaction: false,
    config: { options: {} },
    execSqlBatch(request: Request) {
      sent.push(request.sql);
      const { rows = [], error } = reply(request.sql);
      setImmediate(() => {
        if (error) return request.callback(error);
        for (const row of rows)
          request.emit(
            'row',
            Object.entries(row).map(([colName, value]) => ({ value, metadata: { colName } })),
          );
        request.callback(null, rows.length);
      });
    },
  };
  const client = {
    driver: { Request },
    acquireConnection: async () => connection,
    releaseConnection: async () => {},
  };
  return { knex: { client } as never, sent };
}
