// Bench migration 5/9: assignments and the submissions graded against them.
export async function up(knex) {
  await knex.schema.createTable('assignments', (t) => {
    t.increments('id');
    t.integer('course_id').notNullable().references('id').inTable('courses').onDelete('CASCADE');
    t.string('title', 300).notNullable();
    t.timestamp('due_at');
    t.decimal('max_points', 6, 2).notNullable().defaultTo(100);
    t.index(['course_id', 'due_at']);
  });
  await knex.schema.createTable('submissions', (t) => {
    t.bigIncrements('id');
    t.integer('assignment_id').notNullable().references('id').inTable('assignments').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.timestamp('submitted_at').notNullable().defaultTo(knex.fn.now());
    t.decimal('score', 6, 2);
    t.text('body');
    t.unique(['assignment_id', 'user_id']);
    t.index(['user_id', 'submitted_at']);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('submissions');
  await knex.schema.dropTable('assignments');
}
