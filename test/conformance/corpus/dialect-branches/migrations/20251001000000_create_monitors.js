// One chained schema builder returned, not awaited (knex runs it when the migrator awaits the result):
// foreign keys with ON DELETE SET NULL / CASCADE, knex.fn.now() defaults, json, a composite unique key.
exports.up = (knex) =>
  knex.schema
    .createTable('members', (table) => {
      table.increments('id').primary();
      table.string('name', 80).notNullable();
      table.string('club', 80);
    })
    .createTable('teams', (table) => {
      table.increments('id').primary();
      table.string('name', 80).notNullable();
    })
    // (No table references members: a later migration alters it, which knex does on SQLite by rebuilding
    // the table, and under knex's CLI, with foreign keys on, dropping the old table fires ON DELETE SET NULL
    // in referencing tables — a documented difference, see README "What differs from knex".)
    .createTable('monitors', (table) => {
      table.increments('id').primary();
      table.string('name', 80).notNullable();
      table.integer('owner_id').unsigned().nullable();
      table.foreign('owner_id').references('id').inTable('teams').onDelete('SET NULL');
      table.json('settings').nullable();
      table.datetime('created_at').defaultTo(knex.fn.now());
      table.unique(['owner_id', 'name']);
      table.index('created_at');
    })
    .createTable('heartbeats', (table) => {
      table.increments('id').primary();
      table.integer('monitor_id').unsigned().notNullable();
      table.foreign('monitor_id').references('id').inTable('monitors').onDelete('CASCADE');
      table.boolean('important').notNullable().defaultTo(false);
      table.integer('time').notNullable();
      table.index(['monitor_id', 'important', 'time'], 'monitor_important_time_index');
    })
    .then(() =>
      knex('members').insert([
        { name: 'Ada', club: 'Chess' },
        { name: 'Bob', club: 'Rowing' },
        { name: 'Cy', club: 'Chess' },
        { name: 'Di', club: null },
      ]),
    )
    .then(() => knex('teams').insert([{ name: 'ops' }, { name: 'web' }]))
    .then(() =>
      knex('monitors').insert([
        {
          name: 'home',
          owner_id: 1,
          settings: JSON.stringify({ every: 60 }),
          created_at: '2025-01-01 00:00:00',
        },
        { name: 'api', owner_id: 2, settings: null, created_at: '2025-01-02 00:00:00' },
      ]),
    )
    .then(() =>
      knex('heartbeats').insert([
        { monitor_id: 1, important: true, time: 10 },
        { monitor_id: 1, important: false, time: 20 },
        { monitor_id: 2, important: true, time: 30 },
      ]),
    );

exports.down = (knex) =>
  knex.schema
    .dropTableIfExists('heartbeats')
    .dropTableIfExists('monitors')
    .dropTableIfExists('teams')
    .dropTableIfExists('members');
