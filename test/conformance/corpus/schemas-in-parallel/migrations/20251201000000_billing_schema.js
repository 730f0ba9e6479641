// In the migration's transaction: knex queues the builders on its one connection.
exports.up = (knex) =>
  knex.schema.createSchemaIfNotExists('billing').then(() =>
    Promise.all([
      knex.schema.withSchema('billing').createTable('invoices', (t) => {
        t.increments('id');
        t.string('number', 20).notNullable().unique();
        t.integer('cents').notNullable();
      }),
      knex.schema.withSchema('billing').createTable('payments', (t) => {
        t.increments('id');
        t.string('invoice_number', 20).notNullable();
        t.integer('cents').notNullable();
      }),
      knex.schema.createTable('accounts', (t) => {
        t.increments('id');
        t.string('name', 40).notNullable();
      }),
    ]),
  );

exports.down = (knex) =>
  Promise.all([
    knex.schema.withSchema('billing').dropTable('payments'),
    knex.schema.withSchema('billing').dropTable('invoices'),
    knex.schema.dropTable('accounts'),
  ]).then(() => knex.schema.dropSchema('billing'));
