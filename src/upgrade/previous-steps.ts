import type { Knex } from 'knex';
import { runMigrations, runSteps } from '../journal/read.js';
import type { StepRecord } from './types.js';

/** Per tenant, its journaled steps by name: what `upgradeTenant` skips and reuses on a second attempt. */
export type PreviousSteps = Map<string, Map<string, StepRecord>>;

/**
 * The steps an earlier attempt of run `runId` journaled, per tenant (or for one tenant): read by
 * `upgrade --resume` for the whole run, and by a queue worker for the tenant of a job another worker
 * lost. The last record of a step wins.
 */
export async function previousSteps(knex: Knex, runId: string, tenantId?: string): Promise<PreviousSteps> {
  const steps = await runSteps(knex, runId, tenantId);
  const applied = await runMigrations(knex, runId, tenantId);
  const previous: PreviousSteps = new Map();
  for (const s of steps) {
    const map = previous.get(s.tenantId) ?? new Map<string, StepRecord>();
    map.set(s.step, {
      step: s.step,
      status: s.status as StepRecord['status'],
      ...(s.data ? { data: s.data } : {}),
      ...(s.error ? { error: s.error } : {}),
    });
    previous.set(s.tenantId, map);
  }
  // A migrate step killed in flight has no data: the journal's migration rows say what it applied.
  for (const [id, names] of applied) {
    const map = previous.get(id);
    const migrate = map?.get('migrate');
    if (map && migrate && migrate.status !== 'succeeded')
      map.set('migrate', { ...migrate, data: { applied: names } });
  }
  return previous;
}
