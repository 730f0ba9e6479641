// Bench migration 4/9: who takes which course; looked up by course and by user.
export async function up(knex) {
  await knex.schema.createTable('enrollments', (t) => {
    t.bigIncrements('id');
    t.integer('course_id').notNullable().references('id').inTable('courses').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.enu('role', ['student', 'teaching_assistant', 'teacher']).notNullable().defaultTo('student');
    t.timestamp('enrolled_at').notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at');
    t.unique(['course_id', 'user_id']);
    t.index(['user_id']);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('enrollments');
}
