exports.up = async (knex) => {
  await knex.schema.createTable('audit', (t) => {
    t.increments('id');
    t.timestamps(true, true);
    t.datetime('seen_at');
    t.timestamp('exact_at', { precision: 6 });
  });
};

exports.down = async (knex) => {
  await knex.schema.dropTable('audit');
};
