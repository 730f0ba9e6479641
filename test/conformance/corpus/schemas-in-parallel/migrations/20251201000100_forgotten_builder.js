// A common slip: the builder is neither returned nor awaited. knex builders are lazy, so nothing runs and
// the migration is recorded as applied all the same.
exports.up = (knex) => {
  knex.schema.createTable('never_created', (t) => {
    t.increments('id');
  });
  knex('accounts').insert({ name: 'never inserted' });
};

exports.down = (knex) => {
  knex.schema.dropTable('never_created');
};
