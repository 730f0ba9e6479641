exports.up = async (knex) => {
  await knex.schema.createTable('events', (t) => {
    t.bigIncrements('id');
    t.text('kind').notNullable();
    t.text('ref').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // 200 events; every ref appears twice, so a unique index on ref cannot be built.
  await knex.raw(
    "insert into events (kind, ref, created_at) select case when g % 3 = 0 then 'signup' else 'login' end, 'ref-' || (g % 100), timestamptz '2025-05-01' + g * interval '1 minute' from generate_series(1, ?) g",
    [200],
  );
};

exports.down = async (knex) => {
  await knex.schema.dropTable('events');
};
