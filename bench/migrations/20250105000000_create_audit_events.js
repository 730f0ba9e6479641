// Bench migration 6/9: an append-only audit trail, queried by organization+time and by subject.
export async function up(knex) {
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id');
    t.integer('organization_id').notNullable();
    t.bigInteger('actor_id');
    t.string('action', 64).notNullable();
    t.string('subject_type', 64).notNullable();
    t.bigInteger('subject_id');
    t.jsonb('payload');
    t.timestamp('occurred_at').notNullable().defaultTo(knex.fn.now());
    t.index(['organization_id', 'occurred_at']);
    t.index(['subject_type', 'subject_id']);
  });
}

export async function down(knex) {
  await knex.schema.dropTable('audit_events');
}
