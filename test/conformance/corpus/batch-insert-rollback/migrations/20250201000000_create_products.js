// A catalogue seeded with knex.batchInsert, which knex runs inside the migration's transaction.
const products = Array.from({ length: 250 }, (_, i) => ({
  sku: `SKU-${String(i + 1).padStart(4, '0')}`,
  name: `Product ${i + 1}`,
  price_cents: 100 + ((i * 37) % 900),
}));

exports.up = async (knex) => {
  await knex.schema.createTable('products', (t) => {
    t.increments('id');
    t.string('sku', 16).notNullable().unique();
    t.string('name', 100).notNullable();
    t.integer('price_cents').notNullable();
  });
  await knex.batchInsert('products', products, 100);
};

exports.down = async (knex) => {
  await knex.schema.dropTable('products');
};
