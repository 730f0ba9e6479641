// Without a transaction: Promise.all of builders and inserts on knex itself (knex's pool hands each a
// connection), then a knex.transaction that reads what they wrote.
exports.config = { transaction: false };

exports.up = async (knex) => {
  await Promise.all([
    knex.schema.withSchema('billing').alterTable('invoices', (t) => {
      t.string('currency', 3).notNullable().defaultTo('EUR');
    }),
    knex.schema.alterTable('accounts', (t) => {
      t.boolean('active').notNullable().defaultTo(true);
    }),
    knex
      .withSchema('billing')
      .table('payments')
      .insert([
        { invoice_number: 'INV-1', cents: 500 },
        { invoice_number: 'INV-1', cents: 250 },
      ]),
  ]);
  await knex.transaction(async (trx) => {
    const [{ total }] = await trx.withSchema('billing').from('payments').sum({ total: 'cents' });
    await trx
      .withSchema('billing')
      .table('invoices')
      .insert({ number: 'INV-1', cents: Number(total) });
    await trx('accounts').insert({ name: 'paid', active: false });
  });
};

exports.down = async (knex) => {
  await knex.withSchema('billing').table('invoices').del();
  await knex.withSchema('billing').table('payments').del();
  await knex('accounts').del();
  await Promise.all([
    knex.schema.withSchema('billing').alterTable('invoices', (t) => t.dropColumn('currency')),
    knex.schema.alterTable('accounts', (t) => t.dropColumn('active')),
  ]);
};
