exports.up = async (knex) => {
  await knex.schema.createTable('notes', (t) => {
    t.increments('id');
    t.text('body');
  });
};

exports.down = async (knex) => {
  await knex.schema.dropTable('notes');
};
