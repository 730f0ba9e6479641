import { TenantError } from '../../core/errors.js';
import type { Timeouts } from '../types.js';
import { pooledConnection } from './errors.js';

/**
 * The session's lock and statement timeouts travel as start-up options (session.ts). A pooler configured
 * to ignore that parameter (PgBouncer's `ignore_startup_parameters = options`, a common setting) accepts
 * the connection and drops them: every migration then runs with the server's defaults — usually no lock
 * timeout, so an ALTER TABLE queued behind a long application transaction blocks the tenant's every query
 * for as long as that lasts, the outage the lock timeout exists to prevent. So the session reads back what
 * it got, once, before anything else runs on it (before a knexfile's afterCreate, which may SET its own).
 */
const READ_BACK_SQL = `select extract(epoch from pg_catalog.current_setting('lock_timeout')::interval) * 1000 as lock_ms,
  extract(epoch from pg_catalog.current_setting('statement_timeout')::interval) * 1000 as statement_ms`;

type Query = <R>(sql: string) => Promise<R[]>;

const asked = (ms: number) => Math.max(0, Math.floor(ms));

type ReadBack = { lock_ms: string; statement_ms: string } | undefined;

/** Throws POOLED_CONNECTION when the server's settings are not the ones the session started with. */
export async function checkStartupSettings(query: Query, timeouts: Timeouts): Promise<void> {
  const [row] = await query<NonNullable<ReadBack>>(READ_BACK_SQL);
  compareReadBack(row, timeouts);
}

/**
 * `statement` and the read-back in one round trip (a multi-statement simple query: one implicit
 * transaction), for a session that sends a statement when it opens anyway — a schema tenant's
 * search_path, which a transaction-mode pooler would otherwise leave on another client's connection.
 */
export async function runWithStartupCheck(
  connection: { query(sql: string): Promise<unknown> },
  statement: string,
  timeouts: Timeouts,
): Promise<void> {
  const results = (await connection.query(`${statement}; ${READ_BACK_SQL}`)) as { rows: ReadBack[] }[];
  compareReadBack(results.at(-1)?.rows[0], timeouts);
}

function compareReadBack(row: ReadBack, timeouts: Timeouts): void {
  const found = { lock: Number(row?.lock_ms), statement: Number(row?.statement_ms) };
  const wanted = { lock: asked(timeouts.lockTimeoutMs), statement: asked(timeouts.statementTimeoutMs) };
  if (found.lock === wanted.lock && found.statement === wanted.statement) return;
  const info = pooledConnection(
    `the session started with lock_timeout ${wanted.lock} ms and statement_timeout ${wanted.statement} ms, but the server applied ${found.lock} ms and ${found.statement} ms: something between dbfleet and PostgreSQL dropped the start-up options`,
  );
  throw new TenantError(info.code, info.message);
}
