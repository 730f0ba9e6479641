import { type HistoryOptions, historyTableOf } from '../core/history-options.js';
import type { TenantContext } from '../fleet/run-fleet.js';

/**
 * The newest migration in the tenant's knex history (null: no history table, or nothing applied), read
 * right after a restore: that is the version the restored backup holds — the manifest does not record
 * one, and the restored database is the truth of what came back, for backups of every version.
 * Undefined when it cannot be read (the report then leaves it out rather than guess); never fails the
 * restore.
 */
export async function heldVersion(
  ctx: TenantContext,
  history: HistoryOptions | undefined,
): Promise<string | null | undefined> {
  try {
    const session = await ctx.session();
    const { table, schema } = historyTableOf(ctx.tenant, history);
    if (!(await session.existingTables([table], schema)).has(table)) return null;
    const query = schema ? session.knex(table).withSchema(schema) : session.knex(table);
    const row = (await query.orderBy('id', 'desc').first('name')) as { name?: unknown } | undefined;
    return typeof row?.name === 'string' ? row.name : null;
  } catch {
    return undefined;
  }
}
