// Migrations and a tenant for deriving SQL offline (`plan --sql`, lint): no database is ever reached.
import type { Knex } from 'knex';
import type { DialectName, Tenant } from '../../src/core/tenant.js';
import { getAdapter } from '../../src/dialect/registry.js';
import { captureMigrationSql } from '../../src/migration/capture-sql.js';
import type { Migration, MigrationConfig } from '../../src/migration/types.js';

export function offlineTenant(dialect: DialectName): Tenant {
  return { id: 'capture', dialect, connection: {}, host: 'capture', database: 'capture', tags: [] };
}

/** A knex migration module (transactional unless `config` says otherwise). */
export function moduleMigration(
  name: string,
  up: (knex: Knex | Knex.Transaction) => Promise<void>,
  config: Partial<MigrationConfig> = {},
): Migration {
  return {
    name,
    file: `/m/${name}`,
    checksum: '',
    kind: 'module',
    config: { transaction: true, ...config },
    up,
  };
}

/** The SQL `plan --sql` derives for `migration` on an offline tenant of `dialect`. */
export function capture(dialect: DialectName, migration: Migration): Promise<string[]> {
  return captureMigrationSql(getAdapter(dialect), offlineTenant(dialect), migration);
}
