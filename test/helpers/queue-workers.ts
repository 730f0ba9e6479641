// What the many-runner tests share: watching pg_stat_activity for the per-host cap, and waiting for the
// moment a worker is worth killing (it holds a tenant it has only just started).

import assert from 'node:assert/strict';
import { jobLock } from '../../src/queue/job.js';
import type { CliChild } from './cli-child.js';
import { adminQuery, queryDatabase } from './postgres.js';
import { waitFor, waitUntil } from './wait.js';

export interface SessionPeaks {
  /** Backends connected to the tenant databases at once. */
  sessions: number;
  /** Tenant databases with a backend at once: the tenants in flight on the host. */
  tenants: number;
}

/** The peaks of backends on databases named `${dbPrefix}…`, sampled every 50 ms until `stop`. */
export function sampleSessions(dbPrefix: string, stop: () => boolean): Promise<SessionPeaks> {
  return (async () => {
    const peak: SessionPeaks = { sessions: 0, tenants: 0 };
    while (!stop()) {
      const rows = await adminQuery<{ datname: string }>(
        'select datname from pg_stat_activity where starts_with(datname, $1)',
        [dbPrefix],
      );
      peak.sessions = Math.max(peak.sessions, rows.length);
      peak.tenants = Math.max(peak.tenants, new Set(rows.map((r) => r.datname)).size);
      await new Promise((r) => setTimeout(r, 50));
    }
    return peak;
  })();
}

/**
 * Resolves once the worker whose control connection is named `worker` holds the job lock of a tenant it
 * started within the last 250 ms: killed then, it dies with that tenant in flight. A lock of the worker
 * alone is not enough, since a worker still holds a finished job's lock for a moment after it printed
 * the result (it completes the job first), and a job near its end may complete before the kill.
 */
export function waitForFreshJob(controlDb: string, worker: string, ms = 60_000): Promise<true> {
  return waitFor(
    `${worker} to hold a freshly started tenant`,
    async () => {
      const fresh = await queryDatabase<{ run: string; tenant: string }>(
        controlDb,
        `select data->>'runId' as run, data->>'tenantId' as tenant from pgboss.job
          where state = 'active' and started_on > now() - interval '250 milliseconds'`,
      );
      if (fresh.length === 0) return undefined;
      const held = await queryDatabase<{ k: string }>(
        controlDb,
        `select l.classid::bigint || ':' || l.objid::bigint as k
           from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.objsubid = 2 and l.granted and a.application_name = $1`,
        [worker],
      );
      const keys = new Set(held.map((h) => h.k));
      return fresh.some((j) => keys.has(jobLock(j.run, j.tenant).join(':'))) ? true : undefined;
    },
    ms,
  );
}

/**
 * Kills `victim` (its control connection named `name`) with -9 once it has finished a tenant and holds
 * one it has only just started: it dies with a tenant in flight.
 */
export async function killMidRun(
  victim: CliChild,
  controlDb: string,
  name: string,
  ms = 60_000,
): Promise<void> {
  let out = '';
  victim.child.stdout?.on('data', (d) => (out += d));
  await waitUntil(`${name} to finish a tenant`, () => out.includes('succeeded'), ms);
  await waitForFreshJob(controlDb, name, ms);
  victim.child.kill('SIGKILL');
}

/** Read from each tenant database: its knex history is exactly `names`, each applied once. */
export async function assertHistoryOnce(dbs: readonly string[], names: readonly string[]): Promise<void> {
  for (const db of dbs) {
    const rows = await queryDatabase<{ name: string }>(db, 'select name from knex_migrations order by id');
    assert.deepEqual(
      rows.map((r) => r.name),
      names,
      `${db}: each migration applied exactly once`,
    );
  }
}
