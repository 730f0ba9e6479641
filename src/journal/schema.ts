import type { Knex } from 'knex';

export const RUNS = 'dbfleet_runs';
export const TENANTS = 'dbfleet_run_tenants';
export const STEPS = 'dbfleet_run_steps';
export const MIGRATIONS = 'dbfleet_run_migrations';

/**
 * The journal's tables, built with knex's schema builder so one definition serves the SQLite file and
 * a PostgreSQL control database. Times are epoch milliseconds; JSON columns hold redacted data only.
 * A run's `owner` is the process running it (host, pid, start time: see ProcessIdentity), so a later
 * process can tell a run that is still going from one whose process was killed.
 */
export async function ensureJournalSchema(knex: Knex): Promise<void> {
  if (!(await knex.schema.hasTable(RUNS))) {
    await knex.schema.createTable(RUNS, (t) => {
      t.string('run_id', 64).primary();
      t.string('command', 40).notNullable();
      t.string('status', 20).notNullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('finished_at');
      t.text('options');
      t.text('summary');
      t.text('owner');
    });
  } else if (!(await knex.schema.hasColumn(RUNS, 'owner'))) {
    // Journals written before runs recorded their process.
    await knex.schema.alterTable(RUNS, (t) => t.text('owner'));
  }
  if (!(await knex.schema.hasTable(TENANTS))) {
    await knex.schema.createTable(TENANTS, (t) => {
      t.string('run_id', 64).notNullable();
      t.string('tenant_id', 128).notNullable();
      t.string('host', 300);
      t.integer('wave');
      t.string('status', 20).notNullable();
      t.bigInteger('started_at');
      t.bigInteger('finished_at');
      t.integer('duration_ms');
      t.string('error_code', 60);
      t.text('error_message');
      t.text('details');
      t.bigInteger('maintenance_started_at');
      t.bigInteger('maintenance_ended_at');
      t.primary(['run_id', 'tenant_id']);
    });
  }
  if (!(await knex.schema.hasTable(STEPS))) {
    await knex.schema.createTable(STEPS, (t) => {
      t.increments('id').primary();
      t.string('run_id', 64).notNullable();
      t.string('tenant_id', 128).notNullable();
      t.string('step', 40).notNullable();
      t.string('status', 20).notNullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('finished_at');
      t.integer('duration_ms');
      t.string('error_code', 60);
      t.text('error_message');
      t.text('data');
      t.index(['run_id', 'tenant_id']);
    });
  }
  if (!(await knex.schema.hasTable(MIGRATIONS))) {
    await knex.schema.createTable(MIGRATIONS, (t) => {
      t.increments('id').primary();
      t.string('run_id', 64).notNullable();
      t.string('tenant_id', 128).notNullable();
      t.string('name', 255).notNullable();
      t.string('direction', 4).notNullable();
      t.bigInteger('applied_at').notNullable();
      t.integer('duration_ms');
      t.index(['run_id', 'tenant_id']);
    });
  }
}
