import { observe } from '../lib/observe.mjs';

export const config = { transaction: false };

export async function up(knex) {
  await knex('observations').insert(observe(knex, 'no-transaction'));
}

export async function down(knex) {
  await knex('observations').where({ label: 'no-transaction' }).del();
}
