// A ledger opened with nested transactions: knex.transaction(cb) inside the migration's transaction is a
// savepoint, trx.transaction(cb) a savepoint inside that, and a failed inner one rolls back only itself.
export async function up(knex) {
  await knex.schema.createTable('accounts', (t) => {
    t.increments('id');
    t.string('name', 50).notNullable().unique();
  });
  await knex.schema.createTable('ledger_entries', (t) => {
    t.increments('id');
    t.integer('account_id').unsigned().notNullable().references('id').inTable('accounts');
    t.integer('amount_cents').notNullable();
    t.string('memo', 100).notNullable();
  });

  await knex.transaction(async (trx) => {
    await trx('accounts').insert([{ name: 'cash' }, { name: 'revenue' }]);
    const cash = await trx('accounts').where({ name: 'cash' }).first('id');
    await trx.transaction(async (inner) => {
      await inner('ledger_entries').insert({
        account_id: cash.id,
        amount_cents: 1000,
        memo: 'opening balance',
      });
    });
    try {
      await trx.transaction(async (doomed) => {
        await doomed('ledger_entries').insert({ account_id: cash.id, amount_cents: -1, memo: 'doomed' });
        throw new Error('inner transaction rolled back on purpose');
      });
    } catch (err) {
      if (!String(err.message).includes('on purpose')) throw err;
    }
  });

  // A query builder joined to a transaction with .transacting(trx).
  await knex.transaction(async (trx) => {
    const revenue = await knex('accounts').where({ name: 'revenue' }).first('id').transacting(trx);
    await knex('ledger_entries')
      .insert({ account_id: revenue.id, amount_cents: -1000, memo: 'opening balance' })
      .transacting(trx);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('ledger_entries');
  await knex.schema.dropTable('accounts');
}
