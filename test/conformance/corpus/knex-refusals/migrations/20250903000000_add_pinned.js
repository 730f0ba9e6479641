exports.up = async (knex) => {
  await knex.schema.alterTable('notes', (t) => t.boolean('pinned').defaultTo(false));
};

exports.down = async (knex) => {
  await knex.schema.alterTable('notes', (t) => t.dropColumn('pinned'));
};
