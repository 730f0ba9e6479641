import { observe } from '../lib/observe.mjs';

export async function up(knex) {
  await knex('observations').insert(observe(knex, 'in-transaction'));
}

export async function down(knex) {
  await knex('observations').where({ label: 'in-transaction' }).del();
}
