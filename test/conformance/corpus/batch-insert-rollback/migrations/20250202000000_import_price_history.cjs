// Imports a price feed with knex.batchInsert, then finds the feed inconsistent and throws. Under knex the
// whole migration rolls back: no price_history table, no rows, no history row for it.
exports.up = async (knex) => {
  await knex.schema.createTable('price_history', (t) => {
    t.increments('id');
    t.string('sku', 16).notNullable();
    t.integer('price_cents').notNullable();
    t.date('valid_from').notNullable();
  });
  const feed = Array.from({ length: 120 }, (_, i) => ({
    sku: `SKU-${String((i % 250) + 1).padStart(4, '0')}`,
    price_cents: 100 + i,
    valid_from: '2025-02-01',
  }));
  await knex.batchInsert('price_history', feed, 40);
  const [{ n }] = await knex('price_history').count({ n: '*' });
  throw new Error(`price feed rejected after importing ${n} rows: totals do not match`);
};

exports.down = async (knex) => {
  await knex.schema.dropTableIfExists('price_history');
};
