// knex's default loadExtensions do not include .mjs: neither knex nor dbfleet runs this file.
export async function up(knex) {
  await knex.schema.createTable('never_made', (t) => t.integer('id'));
}

export async function down(knex) {
  await knex.schema.dropTable('never_made');
}
