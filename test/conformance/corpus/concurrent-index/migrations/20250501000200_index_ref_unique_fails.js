// Builds one index concurrently (it commits as it goes), then a unique one that cannot be built: every ref
// appears twice. Nothing rolls back without a transaction, so under knex events_created_idx stays built
// and valid, PostgreSQL leaves events_ref_key behind INVALID, and no history row is written.
exports.config = { transaction: false };

exports.up = async (knex) => {
  await knex.raw('create index concurrently events_created_idx on events (created_at)');
  await knex.raw('create unique index concurrently events_ref_key on events (ref)');
};

exports.down = async (knex) => {
  await knex.raw('drop index concurrently if exists events_ref_key');
  await knex.raw('drop index concurrently if exists events_created_idx');
};
