// alterTable on a table with a foreign key (orders -> customers). On SQLite, knex drops a column and changes
// a type by rebuilding the table (copy, drop, rename) inside the migration's transaction; rows, the foreign
// key and the other columns must come out as under knex. (No table references orders: under knex's CLI,
// with better-sqlite3's foreign keys on, dropping a referenced table during the rebuild fires its ON DELETE
// CASCADE and empties the child table, which dbfleet deliberately does not copy.)
exports.up = async (knex) => {
  await knex.schema.alterTable('orders', (t) => {
    t.dropColumn('note');
    t.decimal('total', 12, 2).notNullable().alter();
    t.string('status', 20).notNullable().defaultTo('open');
  });
};

exports.down = async (knex) => {
  await knex.schema.alterTable('orders', (t) => {
    t.dropColumn('status');
    t.decimal('total', 8, 2).notNullable().alter();
    t.string('note', 200);
  });
};
