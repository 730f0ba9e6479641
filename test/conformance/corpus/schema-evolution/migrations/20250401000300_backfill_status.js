// Data fix-up guarded by what the schema has.
export async function up(knex) {
  if (await knex.schema.hasColumn('orders', 'status')) {
    await knex.raw('update orders set status = ? where total >= ?', ['priority', 100]);
  }
}

export async function down(knex) {
  if (await knex.schema.hasColumn('orders', 'status')) {
    await knex('orders').update({ status: 'open' });
  }
}
