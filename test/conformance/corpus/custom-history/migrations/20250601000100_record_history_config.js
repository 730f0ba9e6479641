// Records where this migration was told its history lives (knex.client.config.migrations).
exports.up = async (knex) => {
  const { tableName = null, schemaName = null } = knex.client.config.migrations ?? {};
  await knex('settings').insert({ key: 'history', value: JSON.stringify({ tableName, schemaName }) });
};

exports.down = async (knex) => {
  await knex('settings').where({ key: 'history' }).del();
};
