import type { DialectName, Tenant } from '../core/tenant.js';
import { getAdapter } from '../dialect/registry.js';
import type { KnexSettings } from '../dialect/types.js';
import { captureMigrationSql } from '../migration/capture-sql.js';
import { isDerivationNote, NOT_DERIVED } from '../migration/derivation-notes.js';
import type { Migration } from '../migration/types.js';

/** Capturing SQL needs only the dialect's knex client: a tenant that is never connected to will do. */
function offlineTenant(dialect: DialectName): Tenant {
  return { id: 'lint', dialect, connection: {}, host: 'lint', database: 'lint', tags: [] };
}

/**
 * The SQL a migration runs, derived as `plan --sql` derives it: a `.sql` file's text, a knex migration's
 * queries captured without a database (the branch an empty database would take where it reads).
 */
export async function deriveStatements(
  dialect: DialectName,
  migration: Migration,
  tenant: Tenant = offlineTenant(dialect),
  knexSettings?: KnexSettings,
): Promise<{ statements: string[]; notes: string[] }> {
  const captured = await captureMigrationSql(getAdapter(dialect), tenant, migration, knexSettings);
  const notes = captured
    .filter((s) => s.startsWith(NOT_DERIVED))
    .map((s) => `SQL derived only in part, the rest is not linted: ${s.slice(NOT_DERIVED.length).trim()}`);
  // The derivation's comment lines are for plan's reader: lint parses the statements alone.
  return { statements: captured.filter((s) => !isDerivationNote(s)), notes };
}
