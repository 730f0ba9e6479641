// Work done in nested transactions that committed (released savepoints), then the migration throws:
// under knex all of it rolls back with the migration — no transfers table, no 'savings' account.
export async function up(knex) {
  await knex.transaction(async (trx) => {
    await trx.schema.createTable('transfers', (t) => {
      t.increments('id');
      t.integer('amount_cents').notNullable();
    });
    await trx('transfers').insert({ amount_cents: 250 });
  });
  await knex.transaction(async (trx) => {
    await knex('accounts').insert({ name: 'savings' }).transacting(trx);
  });
  throw new Error('transfer limits are not configured');
}

export async function down(knex) {
  await knex('accounts').where({ name: 'savings' }).del();
  await knex.schema.dropTableIfExists('transfers');
}
