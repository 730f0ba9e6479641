// Bench migration 7/9: a later release adds user preferences and a case-insensitive email lookup.
export async function up(knex) {
  await knex.schema.alterTable('users', (t) => {
    t.string('locale', 16).notNullable().defaultTo('en');
    t.string('time_zone', 64).notNullable().defaultTo('UTC');
  });
  await knex.raw('create index users_lower_email_index on users (lower(email))');
}

export async function down(knex) {
  await knex.raw('drop index users_lower_email_index');
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('locale');
    t.dropColumn('time_zone');
  });
}
