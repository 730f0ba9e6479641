import type { Knex } from 'knex';
import { DRIVER_MESSAGE } from './errors.js';
import { type MssqlKnexClient, mssqlClient, type TediousLike } from './raw-connection.js';

/**
 * Three repairs to knex's mssql client.
 *
 * 1. knex 3 keeps pending mssql requests in ONE array declared on the client *prototype*, shared by every
 *    knex instance and every transaction in the process, and `_chomp(connection)` pops the newest entry —
 *    whoever queued it — onto the connection that just became free. With many tenants in one process, a
 *    request queued on tenant A's busy connection can run on tenant B's. Requests queue only when issued
 *    while their connection is busy (concurrent queries inside a transaction), which is rare but happens.
 *    Transaction clients are built from the prototype, not the instance, so the fix goes on the prototype:
 *    one FIFO queue per connection. It is idempotent and only ever restricts where a request may run.
 * 2. A failed login surfaces as tedious' last error token only. For a missing database SQL Server sends
 *    4060 "Cannot open database" and then 18456 "Login failed", so the useful one is lost; the tokens seen
 *    during login are kept on the error as `precedingErrors` (node-mssql's name for them).
 * 3. knex puts a failed query's SQL in front of its message; the driver's own message is kept beside it.
 */

interface QueuedConnection {
  state: { name: string };
  execSql(request: unknown): void;
}

interface QueueingClient {
  _enqueueRequest(request: unknown, connection: QueuedConnection): void;
  _chomp(connection: QueuedConnection): void;
}

const queues = new WeakMap<QueuedConnection, unknown[]>();
const patched = new WeakSet<object>();

function queueOf(connection: QueuedConnection): unknown[] {
  let queue = queues.get(connection);
  if (!queue) {
    queue = [];
    queues.set(connection, queue);
  }
  return queue;
}

/** Makes the mssql client's request queue per connection and first-in first-out. */
export function queueRequestsPerConnection(prototype: object): void {
  if (patched.has(prototype)) return;
  const client = prototype as QueueingClient;
  client._enqueueRequest = function (this: QueueingClient, request, connection) {
    queueOf(connection).push(request);
    this._chomp(connection);
  };
  client._chomp = (connection) => {
    if (connection.state.name !== 'LoggedIn') return;
    const next = queueOf(connection).shift();
    if (next) connection.execSql(next);
  };
  patched.add(prototype);
}

interface QueryingClient {
  _query(connection: unknown, query: unknown): Promise<unknown>;
}

const keeping = new WeakSet<object>();

/**
 * knex prefixes a failed query's message with its SQL (`<sql> - <message>`); the driver's own message is
 * kept beside it (`DRIVER_MESSAGE`, not enumerable), so classification never reads words of the SQL — a
 * `cancelled_at` column is no failed cancel. Idempotent, like the queue repair, and on the prototype too.
 */
export function keepDriverMessages(prototype: object): void {
  if (keeping.has(prototype)) return;
  const client = prototype as QueryingClient;
  const query = client._query;
  client._query = function (this: QueryingClient, connection, q) {
    return query.call(this, connection, q).catch((err: unknown) => {
      if (err instanceof Error && !Object.hasOwn(err, DRIVER_MESSAGE))
        Object.defineProperty(err, DRIVER_MESSAGE, { value: err.message });
      throw err;
    });
  };
  keeping.add(prototype);
}

interface ServerMessageToken {
  number?: number;
  message?: string;
}

interface LoginConnection {
  on(event: 'errorMessage', listener: (token: ServerMessageToken) => void): unknown;
  removeListener(event: 'errorMessage', listener: (token: ServerMessageToken) => void): unknown;
  connect(callback?: (err?: Error) => void): unknown;
}

type LoginConnectionConstructor = new (config: unknown) => LoginConnection;

/** A driver whose connections remember the server's messages during login and attach them to a login error. */
export function withLoginDiagnostics(driver: TediousLike): TediousLike {
  const Base = driver.Connection as LoginConnectionConstructor;
  class DiagnosedConnection extends Base {
    override connect(callback?: (err?: Error) => void): unknown {
      const tokens: ServerMessageToken[] = [];
      const record = (token: ServerMessageToken) =>
        tokens.push({ number: token.number, message: token.message });
      this.on('errorMessage', record);
      return super.connect((err) => {
        this.removeListener('errorMessage', record);
        if (err && tokens.length > 0) {
          Object.assign(err, {
            precedingErrors: tokens.map((t) =>
              Object.assign(new Error(t.message ?? ''), { number: t.number }),
            ),
          });
        }
        callback?.(err);
      });
    }
  }
  // The rest of the module (Request, TYPES used for bindings…) stays the driver's own.
  return { ...driver, Connection: DiagnosedConnection };
}

/**
 * Applies both repairs to a session's knex. `driver` replaces tedious for the session's connections (tests
 * use a scripted double); knex's transaction clients keep using `client.driver`, which is this one too.
 */
export function hardenMssqlClient(knex: Knex, driver?: TediousLike): MssqlKnexClient {
  const client = mssqlClient(knex);
  queueRequestsPerConnection(Object.getPrototypeOf(client) as object);
  keepDriverMessages(Object.getPrototypeOf(client) as object);
  const installed = driver ?? withLoginDiagnostics(client.driver);
  client.driver = installed;
  client._driver = () => installed;
  return client;
}
