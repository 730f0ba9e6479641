// Bench migration 1/9: the tenant's organizations (a SaaS account can hold several).
export async function up(knex) {
  await knex.schema.createTable('organizations', (t) => {
    t.increments('id');
    t.string('name', 200).notNullable();
    t.string('slug', 80).notNullable().unique();
    t.enu('plan', ['free', 'team', 'enterprise']).notNullable().defaultTo('free');
    t.jsonb('settings').notNullable().defaultTo('{}');
    t.timestamps(true, true);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('organizations');
}
