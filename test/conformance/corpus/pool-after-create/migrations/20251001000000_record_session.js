const setting = async (knex) => {
  if (knex.client.config.client === 'pg') {
    const { rows } = await knex.raw("select current_setting('TimeZone') as v");
    return rows[0].v;
  }
  const rows = await knex.raw('pragma recursive_triggers');
  return String(rows[0].recursive_triggers);
};
exports.setting = setting;

exports.up = async (knex) => {
  await knex.schema.createTable('seen', (t) => {
    t.string('what').primary();
    t.string('value');
  });
  await knex('seen').insert({ what: 'in the migration', value: await setting(knex) });
};

exports.down = async (knex) => {
  await knex.schema.dropTable('seen');
};
