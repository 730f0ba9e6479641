import type { Knex } from 'knex';

/** Release 2.0: courses can be archived instead of deleted. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('courses', (t) => {
    t.timestamp('archived_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('courses', (t) => {
    t.dropColumn('archived_at');
  });
}
