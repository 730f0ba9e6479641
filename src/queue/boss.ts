import PgBoss from 'pg-boss';
import { registerConnectionSecrets } from '../core/redact.js';
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
 * worker may start first). The URL's password joins the command's redaction scope.
 */
export async function openBoss(url: string, onError: (err: Error) => void): Promise<PgBoss> {
  registerConnectionSecrets(url);
  const boss = new PgBoss({ connectionString: url, schema: QUEUE_SCHEMA, max: 4 });
  // pg-boss reports background errors (its maintenance, a dropped connection) as events; unhandled,
  // an 'error' event would end the process.
  boss.on('error', onError);
  await boss.start();
  await boss.createQueue(TENANT_QUEUE, {
    name: TENANT_QUEUE,
    policy: 'standard',
    retryLimit: JOB_RETRY_LIMIT,
    retryDelay: 0,
    expireInSeconds: JOB_EXPIRE_SECONDS,
  });
  return boss;
}
