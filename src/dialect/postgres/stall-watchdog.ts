import net from 'node:net';
import type pg from 'pg';

/**
 * The client side of a connection that stops answering. The server cancels a statement after
 * statement_timeout, but its answer may never arrive: a proxy or a NAT box that stops forwarding, a
 * frozen server. TCP keepalives do not notice (whatever sits in between still acknowledges), so the
 * tenant would wait forever. This watch gives up on a connection that has a query outstanding and has
 * heard nothing from the server for longer than the statement timeout plus a grace, and closes it: the
 * pending query fails with CONNECTION_STALLED naming the server, and the other tenants go on.
 *
 * A script sent as one simple query runs each statement under its own statement timeout, and the
 * server flushes nothing until the whole script is done: its silence may last one timeout per
 * statement. Counting the semicolons (+1) bounds the number of statements from above without parsing
 * (one inside a string only makes the allowance longer), so a slow script is never taken for a stall.
 *
 * It also says where a connect got stuck (TCP connect, the server's first answer, authentication), so a
 * connect timeout names host, port and phase instead of pg's bare "timeout expired".
 */

/** How long past the statement timeout a silent connection is still given: half of it, 5 s to 30 s. */
export function stallGraceMs(statementTimeoutMs: number): number {
  return Math.min(30_000, Math.max(5_000, Math.floor(statementTimeoutMs / 2)));
}

export class ConnectionStalledError extends Error {
  readonly code = 'CONNECTION_STALLED';
}

export class ConnectTimeoutError extends Error {
  readonly code = 'CONNECT_TIMEOUT';
}

type Phase = 'tcp' | 'first-answer' | 'startup';

const PHASES: Record<Phase, string> = {
  tcp: 'the TCP connect (no answer from the host)',
  'first-answer': 'the start-up: the server accepted the TCP connection but never answered',
  startup: 'authentication and session start-up',
};

type Callback = (err: Error | null, result?: unknown) => void;

export interface StallWatchOptions {
  host: string;
  port: number;
  /** The grace after the statement timeout (tests shorten it); default `stallGraceMs`. */
  graceMs?: (statementTimeoutMs: number) => number;
}

export function createStallWatch(options: StallWatchOptions) {
  const where = `${options.host}:${options.port}`;
  const graceOf = options.graceMs ?? stallGraceMs;
  let socket: net.Socket | undefined;
  let phase: Phase = 'tcp';
  let statementTimeoutMs = 0;
  /** A statement of someone else's set statement_timeout: its value is unknown, so no watch. */
  let unknownTimeout = false;
  let ownSettingSql: string | undefined;
  let outstanding = 0;
  /** Upper bound of the statements the outstanding queries hold. */
  let statements = 0;
  /** Counts server messages; the timer compares it rather than taking the time of every row. */
  let heard = 0;
  let seen = 0;
  let quietSince = 0;
  let timer: NodeJS.Timeout | undefined;
  let stalled: ConnectionStalledError | undefined;

  const limitMs = () =>
    unknownTimeout || statementTimeoutMs <= 0
      ? 0
      : Math.max(1, statements) * statementTimeoutMs + graceOf(statementTimeoutMs);

  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  const check = () => {
    const limit = limitMs();
    if (outstanding === 0 || limit === 0 || stalled) return stop();
    if (heard !== seen) {
      seen = heard;
      quietSince = Date.now();
      return;
    }
    const quietMs = Date.now() - quietSince;
    if (quietMs < limit) return;
    stalled = new ConnectionStalledError(
      `the connection to ${where} stopped answering: no reply for ${Math.round(quietMs / 1000)}s with a statement outstanding (statement timeout ${Math.round(statementTimeoutMs / 1000)}s) — a proxy, NAT or network path that stopped forwarding, or a frozen server; the connection was closed`,
    );
    stop();
    socket?.destroy();
  };

  const started = (count: number) => {
    statements += count;
    if (outstanding++ > 0 || limitMs() === 0) return;
    seen = heard;
    quietSince = Date.now();
    stop();
    timer = setInterval(
      check,
      Math.max(100, Math.floor((statementTimeoutMs + graceOf(statementTimeoutMs)) / 4)),
    );
    timer.unref();
  };

  const finished = (count: number) => {
    statements -= count;
    heard++;
    if (--outstanding === 0) stop();
  };

  const textOf = (config: unknown): string =>
    typeof config === 'string' ? config : String((config as { text?: unknown } | null)?.text ?? '');

  return {
    /** pg's `stream` option: the socket this watch can see and close. */
    stream(): net.Socket {
      // knex's query cancel opens a second connection with the same settings: a plain socket for it.
      if (socket) return new net.Socket();
      socket = new net.Socket();
      socket.once('connect', () => {
        phase = 'first-answer';
      });
      socket.once('data', () => {
        phase = 'startup';
      });
      return socket;
    },

    /** What a failed connect becomes: a timeout names host, port and phase; anything else is kept. */
    connectError(err: unknown, timeoutMs: number): unknown {
      if ((err as Error | undefined)?.message !== 'timeout expired') return err;
      return new ConnectTimeoutError(
        `connecting to ${where} timed out after ${Math.round(timeoutMs / 1000)}s during ${PHASES[phase]}`,
      );
    },

    /** The session's statement timeout now (0 = none: no watch). */
    setStatementTimeout(ms: number, sql?: string) {
      statementTimeoutMs = Math.max(0, ms);
      unknownTimeout = false;
      ownSettingSql = sql;
    },

    /** Watches every query of `client` (knex's included: it calls `client.query` too). */
    attach(client: pg.Client) {
      // pg emits each server message on its protocol connection; a listener there sees them over TLS too.
      const protocol = (client as pg.Client & { connection?: NodeJS.EventEmitter }).connection;
      protocol?.on('message', () => {
        heard++;
      });
      const original = client.query.bind(client) as (...args: unknown[]) => unknown;
      const wrapped = (...args: unknown[]): unknown => {
        const [config] = args;
        // A Submittable (a cursor) reports through its own events: not watched.
        if (config && typeof (config as { submit?: unknown }).submit === 'function') return original(...args);
        const text = textOf(config);
        if (mayChangeStatementTimeout(text)) {
          if (text === ownSettingSql) ownSettingSql = undefined;
          else unknownTimeout = true;
        }
        const callbackAt = args.findIndex((a, i) => i > 0 && typeof a === 'function');
        const count = statementsIn(text);
        started(count);
        if (callbackAt > 0) {
          const callback = args[callbackAt] as Callback;
          args[callbackAt] = (err: Error | null, result?: unknown) => {
            finished(count);
            callback(err && stalled ? stalled : err, result);
          };
          return original(...args);
        }
        return (original(...args) as Promise<unknown>).then(
          (result) => {
            finished(count);
            return result;
          },
          (err: unknown) => {
            finished(count);
            throw stalled ?? err;
          },
        );
      };
      Object.assign(client, { query: wrapped });
    },
  };
}

/** Reading the setting, as the session's read-back does (startup-settings-check.ts), changes nothing. */
const READS_STATEMENT_TIMEOUT = /current_setting\s*\(\s*'statement_timeout'\s*\)/gi;

/**
 * Whether `sql` may set the session's statement_timeout (SET, RESET, set_config, a DO block's EXECUTE):
 * any mention of it but a read. Broad on purpose — a timeout changed where the watch did not see it
 * would have it close a connection whose statement is allowed to run longer.
 */
function mayChangeStatementTimeout(sql: string): boolean {
  return /statement_timeout/i.test(sql.replace(READS_STATEMENT_TIMEOUT, ''));
}

/** At least the number of statements in `sql`: each but the last ends with a semicolon. */
function statementsIn(sql: string): number {
  let count = 1;
  for (let i = sql.indexOf(';'); i >= 0; i = sql.indexOf(';', i + 1)) count++;
  return count;
}

export type StallWatch = ReturnType<typeof createStallWatch>;
