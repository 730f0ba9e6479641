// Bench migration 3/9: courses, with a per-organization course code and a status filter index.
export async function up(knex) {
  await knex.schema.createTable('courses', (t) => {
    t.increments('id');
    t.integer('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('code', 40).notNullable();
    t.string('title', 300).notNullable();
    t.text('description');
    t.enu('status', ['draft', 'published', 'archived']).notNullable().defaultTo('draft');
    t.date('starts_on');
    t.date('ends_on');
    t.bigInteger('created_by').references('id').inTable('users').onDelete('SET NULL');
    t.timestamps(true, true);
    t.unique(['organization_id', 'code']);
    t.index(['status', 'starts_on']);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('courses');
}
