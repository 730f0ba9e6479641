import { observe } from '../lib/observe.mjs';

// A nested transaction inside the migration's own: knex makes it a savepoint.
export async function up(knex) {
  await knex.transaction(async (trx) => {
    await trx('observations').insert(observe(trx, 'nested-transaction'));
  });
}

export async function down(knex) {
  await knex('observations').where({ label: 'nested-transaction' }).del();
}
