exports.up = async (knex) => {
  await knex.schema.createTable('plans', (t) => {
    t.string('name').primary();
    t.integer('seats').notNullable().defaultTo(5);
  });
  await knex('plans').insert({ name: 'starter' });
};

exports.down = async (knex) => {
  await knex.schema.dropTable('plans');
};
