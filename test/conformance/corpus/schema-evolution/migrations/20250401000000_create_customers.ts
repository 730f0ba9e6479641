import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('customers', (t) => {
    t.increments('id');
    t.string('email', 200).notNullable().unique();
    t.string('name', 100).notNullable();
  });
  await knex.schema.createTable('orders', (t) => {
    t.increments('id');
    t.integer('customer_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('customers')
      .onDelete('CASCADE');
    t.decimal('total', 8, 2).notNullable();
    t.string('note', 200);
  });
  // Positional bindings through knex.raw.
  await knex.raw('insert into customers (email, name) values (?, ?), (?, ?)', [
    'ada@example.com',
    'Ada',
    'bob@example.com',
    'Bob',
  ]);
  await knex.raw('insert into orders (customer_id, total, note) select id, ?, ? from customers order by id', [
    120.5,
    'first order',
  ]);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('orders');
  await knex.schema.dropTable('customers');
}
