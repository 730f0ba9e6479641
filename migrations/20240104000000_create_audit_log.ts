import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id').primary();
    t.timestamp('occurred_at').notNullable();
    t.integer('actor_id');
    t.string('action', 60).notNullable();
    t.text('detail');
    t.index(['occurred_at'], 'audit_log_occurred_at_idx');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log');
}
