// A foreign key on a natural key with ON UPDATE CASCADE, and a renamed table.
export async function up(knex) {
  await knex.schema.createTable('purchases', (table) => {
    table.increments('id');
    table
      .string('buyer_email', 120)
      .notNullable()
      .references('email')
      .inTable('users')
      .onUpdate('CASCADE')
      .onDelete('RESTRICT');
    table.decimal('amount', 10, 2).notNullable();
    table.timestamp('placed_at').notNullable().defaultTo(knex.fn.now());
  });
  await knex('purchases').insert([
    { buyer_email: 'eve@example.com', amount: 12.5, placed_at: '2025-03-03 09:00:00' },
    { buyer_email: 'eve@example.com', amount: 7, placed_at: '2025-03-04 09:00:00' },
  ]);
  await knex.schema.renameTable('purchases', 'orders');
  // The cascade runs through the renamed table. PostgreSQL only: dbfleet runs a SQLite migration's
  // transaction with foreign keys off, so no ON UPDATE/ON DELETE action fires there and the check before
  // COMMIT fails it (README, "What differs from knex").
  if (knex.client.dialect === 'postgresql') {
    await knex('users').where({ email: 'eve@example.com' }).update({ email: 'eve@example.org' });
  }
}

export async function down(knex) {
  if (knex.client.dialect === 'postgresql') {
    await knex('users').where({ email: 'eve@example.org' }).update({ email: 'eve@example.com' });
  }
  await knex.schema.dropTable('orders');
}
