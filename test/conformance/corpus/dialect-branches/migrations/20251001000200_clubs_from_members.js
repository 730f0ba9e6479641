// Moves a free-text column into its own table: reads rows, inserts clubs one by one reading back each id
// (.returning('id'): an object on PostgreSQL and on SQLite with knex 3), then updates the members.
// Branches on knex.client.config.client; on SQLite toggles PRAGMA foreign_keys, a no-op inside the
// migration's transaction under knex.
exports.up = async (knex) => {
  const client = String(knex.client.config.client);
  const isSqlite = client.includes('sqlite');
  if (isSqlite) await knex.raw('PRAGMA foreign_keys = OFF');

  await knex.schema.createTable('clubs', (table) => {
    table.increments('id').primary();
    table.string('name', 80).notNullable().unique();
    table.timestamps(true, true);
  });
  await knex.schema.alterTable('members', (table) => {
    table.integer('club_id').unsigned().nullable().references('id').inTable('clubs').onDelete('SET NULL');
    table.integer('approved').defaultTo(0);
  });

  const members = await knex('members').select('*').orderBy('id');
  for (const member of members) {
    let clubId = null;
    if (member.club) {
      const club = await knex('clubs').where({ name: member.club }).first();
      if (club) {
        clubId = club.id;
      } else {
        const [inserted] = await knex('clubs')
          .insert({ name: member.club, created_at: '2025-02-01 00:00:00', updated_at: '2025-02-01 00:00:00' })
          .returning('id');
        clubId = typeof inserted === 'object' ? inserted.id : inserted;
      }
    }
    await knex('members')
      .where({ id: member.id })
      .update({ club_id: clubId, approved: clubId ? 1 : 0 });
  }
  await knex('clubs').insert({
    name: `seen ${client}`,
    created_at: '2025-02-02 00:00:00',
    updated_at: '2025-02-02 00:00:00',
  });

  if (isSqlite) await knex.raw('PRAGMA foreign_keys = ON');
};

exports.down = async (knex) => {
  await knex.schema.alterTable('members', (table) => {
    table.dropForeign('club_id');
    table.dropColumn('club_id');
    table.dropColumn('approved');
  });
  await knex.schema.dropTableIfExists('clubs');
};
