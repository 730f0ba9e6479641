import type { Knex } from 'knex';

/** Release 2.0: grades move out of submissions into their own table, backfilled from the old column. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('grades', (t) => {
    t.increments('id').primary();
    t.integer('submission_id').notNullable().references('id').inTable('submissions').unique();
    t.integer('score').notNullable();
    t.timestamp('graded_at').notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(
    'insert into grades (submission_id, score, graded_at) select id, score, submitted_at from submissions where score is not null',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('grades');
}
