export const up = (knex) =>
  knex.schema
    .createTableIfNotExists('users', (table) => {
      table.increments('id');
      table.text('name').notNullable();
      table.string('email', 120).notNullable().unique();
      table
        .enu('role', ['admin', 'customer'], { useNative: true, enumName: 'user_role' })
        .notNullable()
        .defaultTo('customer');
      table.jsonb('prefs').notNullable().defaultTo('{}');
      table.timestamps(true, true);
    })
    .then(() =>
      // Seed rows, as such apps put their first admin in a migration; fixed times so the two runs compare.
      knex('users').insert([
        {
          name: 'Root',
          email: 'root@example.com',
          role: 'admin',
          prefs: '{}',
          created_at: '2025-03-01 10:00:00',
          updated_at: '2025-03-01 10:00:00',
        },
        {
          name: 'Eve',
          email: 'eve@example.com',
          role: 'customer',
          prefs: JSON.stringify({ theme: 'dark' }),
          created_at: '2025-03-02 10:00:00',
          updated_at: '2025-03-02 10:00:00',
        },
      ]),
    );

// dropTable leaves the native type behind, as knex does: a second migrate:latest after this down would
// fail on CREATE TYPE — the same under both tools, so the corpus rolls back only once.
export const down = (knex) => knex.schema.dropTable('users');
