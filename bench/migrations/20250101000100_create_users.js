// Bench migration 2/9: users belong to an organization; email is unique per organization.
export async function up(knex) {
  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id');
    t.integer('organization_id').notNullable().references('id').inTable('organizations').onDelete('CASCADE');
    t.string('email', 320).notNullable();
    t.string('display_name', 200).notNullable();
    t.enu('role', ['learner', 'instructor', 'admin']).notNullable().defaultTo('learner');
    t.timestamp('last_login_at');
    t.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
    t.unique(['organization_id', 'email']);
    t.index(['last_login_at']);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('users');
}
