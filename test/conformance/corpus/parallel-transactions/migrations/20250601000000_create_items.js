exports.up = async (knex) => {
  await knex.schema.createTable('items', (t) => {
    // No serial id: which chunk's insert draws which id depends on timing.
    t.integer('chunk').notNullable();
    t.integer('step').notNullable();
  });
  await knex.schema.createTable('seen', (t) => {
    t.text('what').primary();
    t.integer('count').notNullable();
  });
};

exports.down = async (knex) => {
  await knex.schema.dropTable('seen');
  await knex.schema.dropTable('items');
};
