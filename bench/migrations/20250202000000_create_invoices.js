// Bench migration 8/9: billing; invoice numbers are unique per organization.
export async function up(knex) {
  await knex.schema.createTable('invoices', (t) => {
    t.increments('id');
    t.integer('organization_id').notNullable().references('id').inTable('organizations').onDelete('RESTRICT');
    t.string('number', 40).notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.enu('status', ['draft', 'open', 'paid', 'void']).notNullable().defaultTo('draft');
    t.timestamp('issued_at');
    t.timestamp('paid_at');
    t.unique(['organization_id', 'number']);
    t.index(['status', 'issued_at']);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('invoices');
}
