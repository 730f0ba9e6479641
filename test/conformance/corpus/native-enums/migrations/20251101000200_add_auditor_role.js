// A new enum value cannot be used in the transaction that adds it (PostgreSQL), so this migration runs
// without one and opens its own for the data. On SQLite, without a transaction, knex rebuilds the users
// table (referenced by orders) to widen a column, switching foreign keys off itself. (Not the enum: knex
// 3.3.0's .alter() of an enu on SQLite keeps the old CHECK beside the new one.)
export const config = { transaction: false };

export async function up(knex) {
  if (knex.client.dialect === 'postgresql') {
    await knex.raw("ALTER TYPE user_role ADD VALUE IF NOT EXISTS 'auditor'");
  } else {
    await knex.schema.alterTable('users', (table) => {
      table.string('email', 200).notNullable().alter();
    });
  }
  await knex.transaction(async (trx) => {
    await trx('users').insert({
      name: 'Aud',
      email: 'aud@example.com',
      role: knex.client.dialect === 'postgresql' ? 'auditor' : 'admin',
      created_at: '2025-03-05 10:00:00',
      updated_at: '2025-03-05 10:00:00',
    });
    await trx('users')
      .where({ name: 'Root' })
      .update({ prefs: JSON.stringify({ audited: true }) });
  });
}

export async function down(knex) {
  await knex('users').where({ name: 'Aud' }).del();
  // PostgreSQL cannot drop an enum value; the type keeps it, as it would under knex.
}
