exports.up = async (knex) => {
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 64).primary();
    t.text('value').notNullable();
  });
  await knex('settings').insert({ key: 'theme', value: 'dark' });
};

exports.down = async (knex) => {
  await knex.schema.dropTable('settings');
};
