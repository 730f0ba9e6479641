import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('submissions', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.integer('course_id').notNullable().references('id').inTable('courses');
    t.string('assignment', 200).notNullable();
    t.text('body');
    t.integer('score');
    t.timestamp('submitted_at').notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('submissions');
}
