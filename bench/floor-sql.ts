import { writeFileSync } from 'node:fs';
import knexFactory from 'knex';
import { getAdapter } from '../src/dialect/registry.js';
import { validateInventory } from '../src/inventory/validate.js';
import { captureMigrationSql } from '../src/migration/capture-sql.js';
import { loadMigrations } from '../src/migration/loader.js';

export interface FloorScript {
  file: string;
  /** Statements of the migrations themselves (without knex's bookkeeping). */
  migrationStatements: number;
  /** Every statement psql runs, bookkeeping and BEGIN/COMMIT included. */
  totalStatements: number;
  migrations: number;
}

/**
 * The floor: the migrations' own SQL, derived once (dbfleet's `captureMigrationSql`, the same derivation
 * `dbfleet plan --sql` uses), plus the bookkeeping knex would do — the history tables, one transaction
 * per migration, one `knex_migrations` insert each — so psql does the same work as the tools it is
 * compared with, and nothing else.
 */
export async function writeFloorScript(migrationsDir: string, file: string): Promise<FloorScript> {
  const migrations = await loadMigrations(migrationsDir);
  const adapter = getAdapter('postgres');
  // captureMigrationSql needs a tenant only for its dialect's knex client; it never connects.
  const [tenant] = validateInventory(
    [{ id: 'scratch', dialect: 'postgres', connection: 'postgres://127.0.0.1/scratch' }],
    'bench',
  );
  const offline = knexFactory({ client: 'pg' });
  const lines: string[] = [];
  const add = (sql: string) => lines.push(`${sql.trim().replace(/;$/, '')};`);
  try {
    // Exactly the history tables `knex migrate:latest` creates, so the knex CLI keeps working afterwards.
    add(
      offline.schema
        .createTable('knex_migrations', (t) => {
          t.increments();
          t.string('name');
          t.integer('batch');
          t.timestamp('migration_time');
        })
        .toString(),
    );
    add(
      offline.schema
        .createTable('knex_migrations_lock', (t) => {
          t.increments('index').primary();
          t.integer('is_locked');
        })
        .toString(),
    );
    add(offline('knex_migrations_lock').insert({ is_locked: 0 }).toString());
    let migrationStatements = 0;
    for (const migration of migrations) {
      const statements = await captureMigrationSql(adapter, tenant!, migration);
      if (statements.some((s) => s.startsWith('-- could not derive'))) {
        throw new Error(`cannot derive the SQL of ${migration.name}: ${statements.at(-1)}`);
      }
      migrationStatements += statements.length;
      lines.push(`-- ${migration.name}`, 'BEGIN;');
      for (const statement of statements) add(statement);
      add(
        offline
          .raw('insert into knex_migrations (name, batch, migration_time) values (?, 1, now())', [
            migration.name,
          ])
          .toString(),
      );
      lines.push('COMMIT;');
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const totalStatements = lines.filter((l) => !l.startsWith('--')).length;
    return { file, migrationStatements, totalStatements, migrations: migrations.length };
  } finally {
    await offline.destroy();
  }
}
