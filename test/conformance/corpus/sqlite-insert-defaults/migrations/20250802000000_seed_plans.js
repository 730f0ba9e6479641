exports.up = async (knex) => {
  await knex('plans').insert([{ name: 'team', seats: 20 }, { name: 'solo' }]);
};

exports.down = async (knex) => {
  await knex('plans').whereIn('name', ['team', 'solo']).del();
};
