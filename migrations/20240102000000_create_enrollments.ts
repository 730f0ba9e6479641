import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('enrollments', (t) => {
    t.increments('id').primary();
    t.integer('user_id').notNullable().references('id').inTable('users');
    t.integer('course_id').notNullable().references('id').inTable('courses');
    t.string('role', 20).notNullable().defaultTo('student');
    t.timestamp('enrolled_at').notNullable().defaultTo(knex.fn.now());
    t.unique(['user_id', 'course_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('enrollments');
}
