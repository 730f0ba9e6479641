// Bench migration 9/9: notifications, per-tenant settings with their default rows, and a reporting view.
export async function up(knex) {
  await knex.schema.createTable('notifications', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('kind', 64).notNullable();
    t.jsonb('data');
    t.timestamp('read_at');
    t.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    t.index(['user_id', 'read_at']);
  });
  await knex.schema.createTable('app_settings', (t) => {
    t.string('key', 100).primary();
    t.text('value').notNullable();
  });
  await knex('app_settings').insert([
    { key: 'grading.scale', value: 'percent' },
    { key: 'notifications.digest', value: 'daily' },
    { key: 'locale.default', value: 'en' },
  ]);
  await knex.raw(`
    create view course_stats as
      select c.id as course_id, count(distinct e.user_id) as learners, count(s.id) as submissions
      from courses c
      left join enrollments e on e.course_id = c.id
      left join assignments a on a.course_id = c.id
      left join submissions s on s.assignment_id = a.id
      group by c.id`);
}

export async function down(knex) {
  await knex.raw('drop view course_stats');
  await knex.schema.dropTable('app_settings');
  await knex.schema.dropTable('notifications');
}
