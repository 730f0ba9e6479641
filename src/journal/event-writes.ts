import type { Knex } from 'knex';
import type { FleetEvent } from '../core/events.js';
import { redact, redactDeep } from '../core/redact.js';
import { MIGRATIONS, RUNS, STEPS, TENANTS } from './schema.js';
import type { RunStatement } from './statements.js';

// redactDeep masks every string before serializing: redacting the JSON text afterwards could break it.
export const json = (value: unknown) => (value === undefined ? null : JSON.stringify(redactDeep(value)));

/** Steps that open and close a tenant's maintenance window (the report's p50/p95/max). */
export const MAINTENANCE_OPEN_STEP = 'before-tenant';
export const MAINTENANCE_CLOSE_STEP = 'after-tenant';

/** One journal write: run inside the batch's transaction, in the order the events came. */
export type Write = (knex: Knex, run: RunStatement) => Promise<unknown>;

/**
 * The fold of one event into the journal's tables: the writes it takes, in order (`at`: when the journal
 * heard it). Events the journal does not keep give none.
 */
export function eventWrites(runId: string, event: FleetEvent, at: number): Write[] {
  const writes: Write[] = [];
  switch (event.type) {
    case 'tenant:start':
      writes.push((_, run) =>
        run(
          `update ${TENANTS} set status = 'running', started_at = ?, finished_at = null, error_code = null, error_message = null where run_id = ? and tenant_id = ?`,
          [event.at, runId, event.tenantId],
        ),
      );
      break;
    case 'step:start':
      writes.push((_, run) =>
        run(
          `insert into ${STEPS} (run_id, tenant_id, step, status, started_at) values (?, ?, ?, 'running', ?)`,
          [runId, event.tenantId, event.step, event.at],
        ),
      );
      if (event.step === MAINTENANCE_OPEN_STEP)
        writes.push((_, run) =>
          run(
            `update ${TENANTS} set maintenance_started_at = ?, maintenance_ended_at = null where run_id = ? and tenant_id = ?`,
            [event.at, runId, event.tenantId],
          ),
        );
      break;
    case 'step:done':
      writes.push(async (_, run) => {
        const values = [
          event.status,
          at,
          event.durationMs,
          json(event.data),
          event.error?.code ?? null,
          event.error ? redact(event.error.message) : null,
        ];
        // The newest running row of this step; a step:done without its start still gets a row.
        const updated = await run(
          `update ${STEPS} set status = ?, finished_at = ?, duration_ms = ?, data = ?, error_code = ?, error_message = ?
             where id = (select max(id) from ${STEPS} where run_id = ? and tenant_id = ? and step = ? and status = 'running')`,
          [...values, runId, event.tenantId, event.step],
        );
        if (updated === 0)
          await run(
            `insert into ${STEPS} (status, finished_at, duration_ms, data, error_code, error_message, run_id, tenant_id, step, started_at)
               values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [...values, runId, event.tenantId, event.step, at - event.durationMs],
          );
      });
      if (event.step === MAINTENANCE_CLOSE_STEP && event.status === 'succeeded') {
        writes.push((_, run) =>
          run(`update ${TENANTS} set maintenance_ended_at = ? where run_id = ? and tenant_id = ?`, [
            at,
            runId,
            event.tenantId,
          ]),
        );
      }
      break;
    case 'migration:applied':
      writes.push((_, run) =>
        run(
          `insert into ${MIGRATIONS} (run_id, tenant_id, name, direction, applied_at, duration_ms) values (?, ?, ?, ?, ?, ?)`,
          [runId, event.tenantId, event.name, event.direction, at, event.durationMs],
        ),
      );
      break;
    case 'tenant:done': {
      const r = event.result;
      writes.push((_, run) =>
        run(
          `update ${TENANTS} set status = ?, finished_at = ?, duration_ms = ?, error_code = ?, error_message = ?, details = ? where run_id = ? and tenant_id = ?`,
          [
            r.status,
            at,
            r.durationMs,
            r.error?.code ?? null,
            r.error ? redact(r.error.message) : null,
            json(r.details),
            runId,
            r.id,
          ],
        ),
      );
      break;
    }
    case 'run:done':
      writes.push((k) =>
        k(RUNS)
          .where({ run_id: runId })
          .update({
            status: event.interrupted ? 'interrupted' : 'finished',
            finished_at: event.at,
            summary: json(event.summary),
          }),
      );
      break;
    default:
      break;
  }
  return writes;
}
