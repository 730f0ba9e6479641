// Branches on knex.client.dialect and returns a chain of knex.raw promises; the index becomes partial.
exports.up = (knex) => {
  const truth = knex.client.dialect === 'postgresql' ? 'true' : '1';
  return knex
    .raw('DROP INDEX IF EXISTS monitor_important_time_index')
    .then(() => knex.raw('DROP INDEX IF EXISTS heartbeat_important_index'))
    .then(() =>
      knex.raw(
        `CREATE INDEX monitor_important_time_index ON heartbeats (monitor_id, time DESC) WHERE important = ${truth}`,
      ),
    );
};

exports.down = (knex) =>
  knex
    .raw('DROP INDEX IF EXISTS monitor_important_time_index')
    .then(() =>
      knex.raw('CREATE INDEX monitor_important_time_index ON heartbeats (monitor_id, important, time)'),
    );
