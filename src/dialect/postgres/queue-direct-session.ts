import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parse as parseUrl } from 'pg-connection-string';
import { UsageError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { classifyPostgresError } from './errors.js';

/**
 * The queue's liveness and caps are SESSION-level advisory locks on each runner's control connection
 * (queue-control.ts: a worker's "I serve this tag" and per-tenant job locks, the per-host slots). Through
 * a pooler in transaction mode such a lock lands on whichever server connection ran that statement, and
 * outlives or escapes the client: a dead worker's tenants may never be handed out again, a live one's
 * may be taken twice, and no per-host cap holds. So before pg-boss starts, one short connection sends a
 * setting as a start-up option and reads it back, as a tenant session does (startup-settings-check.ts):
 * PgBouncer either refuses the option (08P01) or, with `ignore_startup_parameters = options`, drops it.
 *
 * The setting is a custom one no server or extension acts on, with a value of its own per check: a pooler
 * that tracks and replays some settings itself (PgBouncer's client_encoding, TimeZone, application_name…)
 * could hand back one of those, never this one.
 */
const CHECK_SETTING = 'dbfleet.queue_session_check';
const CONNECT_TIMEOUT_MS = 10_000;

/** Throws a UsageError naming the queue (redacted) when `url` does not reach a session of the server itself. */
export async function checkQueueIsDirect(url: string): Promise<void> {
  const token = randomBytes(6).toString('hex');
  // Parsed as pg parses a connection string, not handed to it as one: pg lets the URL's own `options`
  // replace the config's, and the check's option must go out along with those.
  const connection = parseUrl(url);
  const own = typeof connection.options === 'string' ? connection.options : '';
  const client = new pg.Client({
    ...(connection as pg.ClientConfig),
    application_name: 'dbfleet-queue-check',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: [own, `-c ${CHECK_SETTING}=${token}`].filter(Boolean).join(' '),
  });
  client.on('error', () => {
    // a failure after connect surfaces as the query's rejection
  });
  let found: string | null | undefined;
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string | null }>(
      `select pg_catalog.current_setting('${CHECK_SETTING}', true) as v`,
    );
    found = rows[0]?.v;
  } catch (err) {
    if (classifyPostgresError(err)?.code !== 'POOLED_CONNECTION') throw err;
    throw refused(url, `it refused a start-up option (${(err as Error).message})`);
  } finally {
    await client.end().catch(() => {});
  }
  if (found !== token)
    throw refused(url, 'a setting sent as a start-up option did not reach the server (it was dropped)');
}

function refused(url: string, cause: string): UsageError {
  return new UsageError(
    `the queue ${redact(url)} goes through a connection pooler (PgBouncer): ${cause}. Queue workers hold session-level advisory locks on their control connection (which worker is alive, which tenant it runs, the per-host caps), and a pooler in transaction mode leaves such a lock on whichever server connection ran the statement; point --queue at the PostgreSQL server itself (its own port, usually 5432). Nothing was enqueued or run`,
  );
}
