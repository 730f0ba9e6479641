// Conditional schema changes (hasColumn/hasTable) and named bindings.
export async function up(knex) {
  if (!(await knex.schema.hasColumn('customers', 'phone'))) {
    await knex.schema.alterTable('customers', (t) => {
      t.string('phone', 32);
    });
  }
  if (await knex.schema.hasTable('legacy_tags')) {
    await knex.schema.renameTable('legacy_tags', 'customer_tags');
  } else {
    await knex.schema.createTable('customer_tags', (t) => {
      t.integer('customer_id').unsigned().notNullable().references('id').inTable('customers');
      t.string('tag', 30).notNullable();
      t.primary(['customer_id', 'tag']);
    });
  }
  await knex.raw('update customers set phone = :phone where email = :email', {
    phone: '+44 20 7946 0000',
    email: 'ada@example.com',
  });
}

export async function down(knex) {
  await knex.schema.dropTable('customer_tags');
  if (await knex.schema.hasColumn('customers', 'phone')) {
    await knex.schema.alterTable('customers', (t) => {
      t.dropColumn('phone');
    });
  }
}
