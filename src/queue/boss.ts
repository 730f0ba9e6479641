import type PgBoss from 'pg-boss';
import { registerConnectionSecrets } from '../core/redact.js';
import { checkQueueIsDirect } from '../dialect/postgres/queue-direct-session.js';
import { QUEUE_SCHEMA, TENANT_QUEUE } from './job.js';

/**
 * How many times a tenant job goes back to the queue after its worker was lost (or refused it) before
 * the coordinator reports the tenant failed.
 */
export const JOB_RETRY_LIMIT = 3;

/**
 * pg-boss's own expiry is only a backstop (its maximum is below 24 h): a lost worker is noticed by its
 * job lock long before (see coordinator.ts), and a long upgrade must not expire while it runs.
 */
const JOB_EXPIRE_SECONDS = 23 * 3600;

/**
 * pg-boss on the control database, with the tenant queue created (idempotent: every coordinator and
 * worker may start first). The URL's password joins the command's redaction scope. Every coordinator and
 * worker opens the queue here first: a URL through a connection pooler is refused before pg-boss creates
 * or sends anything (one short connection per start).
 */
export async function openBoss(url: string, onError: (err: Error) => void): Promise<PgBoss> {
  registerConnectionSecrets(url);
  await checkQueueIsDirect(url);
  // Loaded here, not at the top: pg-boss and its dependencies take ~70 ms to load, and only a run
  // with --queue (and `dbfleet worker`) use it — every other command and library import would pay it.
  const { default: PgBoss } = await import('pg-boss');
  // Two connections (plus the control connection): a control database serves every runner of a fleet,
  // and sends, fetches and state reads are short.
  const boss = new PgBoss({ connectionString: url, schema: QUEUE_SCHEMA, max: 2 });
  // pg-boss reports background errors (its maintenance, a dropped connection) as events; unhandled,
  // an 'error' event would end the process.
  boss.on('error', onError);
  try {
    await boss.start();
    await ensureQueue(boss, TENANT_QUEUE);
  } catch (err) {
    await stopBoss(boss);
    throw err;
  }
  return boss;
}

/** Deadlock, serialization failure, and the duplicates of a create another runner won. */
const RACE_CODES = new Set(['40P01', '40001', '23505', '42P07', '42710']);
const QUEUE_CREATE_ATTEMPTS = 5;

/**
 * Creates a tenant queue (the common one, or a tag's) unless it exists. pg-boss creates a queue's
 * partition and attaches it to its job table without a lock of its own: runners starting together on a
 * new control database (a fleet's workers deployed at once) can deadlock on it, or on another runner's
 * fetch. The loser asks again.
 */
export async function ensureQueue(boss: PgBoss, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      if (await boss.getQueue(name)) return;
      await boss.createQueue(name, {
        name,
        policy: 'standard',
        retryLimit: JOB_RETRY_LIMIT,
        retryDelay: 0,
        expireInSeconds: JOB_EXPIRE_SECONDS,
      });
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= QUEUE_CREATE_ATTEMPTS || typeof code !== 'string' || !RACE_CODES.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
    }
  }
}

/**
 * Stops pg-boss and its pool without waiting for its own jobs (dbfleet runs none through `work`); never
 * throws, so a caller's cleanup goes on. Left running, its timers keep the process alive.
 */
export async function stopBoss(boss: PgBoss): Promise<void> {
  await boss.stop({ graceful: false, wait: true }).catch(() => {});
}
