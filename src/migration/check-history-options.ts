import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';
import { getAdapter } from '../dialect/registry.js';
import { type HistoryOptions, validateHistoryOptions } from './history-location.js';

/**
 * The run's history table, checked against the selected tenants before any is touched (exit 2):
 * the names themselves; `schemaName` on a dialect without schemas (knex fails there too); and
 * `schemaName` for tenants that share a database, whose histories it would merge into one table
 * (each schema tenant keeps its own history in its schema when `schemaName` is unset).
 */
export function checkHistoryOptions(
  options: HistoryOptions | undefined,
  tenants: readonly Tenant[],
): HistoryOptions {
  const history = validateHistoryOptions(options);
  if (history.schemaName === undefined) return history;
  const problems: string[] = [];
  const schemaless = tenants.filter((t) => !getAdapter(t.dialect).capabilities.schemas).map((t) => t.id);
  if (schemaless.length) {
    problems.push(
      `tenants ${list(schemaless)} are on a dialect without schemas, where migrations.schemaName "${history.schemaName}" cannot hold the history`,
    );
  }
  const byDatabase = new Map<string, string[]>();
  for (const t of tenants) {
    const key = `${t.host}\n${t.database}`;
    byDatabase.set(key, [...(byDatabase.get(key) ?? []), t.id]);
  }
  for (const [key, ids] of byDatabase) {
    if (ids.length < 2) continue;
    problems.push(
      `tenants ${list(ids)} share database ${key.split('\n')[1]}: migrations.schemaName "${history.schemaName}" would give them one history table; leave schemaName unset so each keeps its history in its own schema`,
    );
  }
  if (problems.length) throw new UsageError('migrations.schemaName does not fit these tenants:', problems);
  return history;
}

function list(ids: readonly string[]): string {
  return ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} (and ${ids.length - 5} more)`;
}
