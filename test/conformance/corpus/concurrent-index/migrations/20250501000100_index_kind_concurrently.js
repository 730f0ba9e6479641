exports.config = { transaction: false };

exports.up = async (knex) => {
  await knex.raw('create index concurrently events_kind_idx on events (kind)');
};

exports.down = async (knex) => {
  await knex.raw('drop index concurrently if exists events_kind_idx');
};
