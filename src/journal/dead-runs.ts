import type { Knex } from 'knex';
import { parseProcessIdentity, processState } from '../util/process-alive.js';
import { RUNS, STEPS, TENANTS } from './schema.js';

const parse = (text: unknown) => {
  try {
    return typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * Runs journaled `running` whose process is gone (SIGKILL, OOM kill, power loss of a runner) are marked
 * `interrupted`, so `report` and `rollback --run latest` see them as ended. "Gone" only when that is
 * certain (see processState): a run of another host, container or boot, or one journaled before runs
 * recorded their process, stays `running` — a run still going must never be declared dead. It ends at
 * its last journaled activity. Returns the run ids it marked.
 */
export async function markDeadRuns(knex: Knex): Promise<string[]> {
  const running = (await knex(RUNS).where({ status: 'running' }).select('run_id', 'owner')) as {
    run_id: string;
    owner: string | null;
  }[];
  const marked: string[] = [];
  for (const row of running) {
    const owner = parseProcessIdentity(parse(row.owner));
    if (!owner || processState(owner) !== 'gone') continue;
    const lastActivity = await lastActivityOf(knex, row.run_id);
    const updated = await knex(RUNS)
      .where({ run_id: row.run_id, status: 'running' })
      .update({ status: 'interrupted', ...(lastActivity !== null ? { finished_at: lastActivity } : {}) });
    if (updated) marked.push(row.run_id);
  }
  return marked;
}

async function lastActivityOf(knex: Knex, runId: string): Promise<number | null> {
  const latest = async (table: string) => {
    const row = (await knex(table)
      .where({ run_id: runId })
      .max({ finished: 'finished_at', started: 'started_at' })
      .first()) as { finished: unknown; started: unknown } | undefined;
    return [row?.finished, row?.started].map((v) => (v === null || v === undefined ? 0 : Number(v)));
  };
  const times = [...(await latest(STEPS)), ...(await latest(TENANTS))];
  const last = Math.max(...times);
  return last > 0 ? last : null;
}
