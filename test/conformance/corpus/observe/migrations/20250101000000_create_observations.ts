import type { Knex } from 'knex';

// Branches on the configured client string, as real projects do: a client that is not the string knex
// was given (a class, say) takes neither branch and `engine_notes` is missing.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('observations', (t) => {
    t.increments('id');
    t.string('label', 64).notNullable();
    t.text('seen').notNullable();
    t.text('connection').notNullable();
  });
  const client = knex.client.config.client;
  if (client === 'pg') {
    await knex.raw("create table engine_notes (note text not null default 'postgres')");
    await knex.raw("comment on table observations is 'what each migration saw of knex'");
  } else if (typeof client === 'string' && client.includes('sqlite3')) {
    await knex.raw("create table engine_notes (note text not null default 'sqlite')");
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('engine_notes');
  await knex.schema.dropTable('observations');
}
