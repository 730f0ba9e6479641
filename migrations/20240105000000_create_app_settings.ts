import type { Knex } from 'knex';

/**
 * Release 1: per-tenant application settings, including the maintenance flag the upgrade's
 * beforeTenant/afterTenant hooks set and clear (the application refuses logins while it is on).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('app_settings', (t) => {
    t.string('key', 100).primary();
    t.string('value', 1000).notNullable();
  });
  await knex('app_settings').insert({ key: 'maintenance', value: 'off' });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('app_settings');
}
