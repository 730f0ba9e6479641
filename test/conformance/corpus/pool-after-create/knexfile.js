// pool.afterCreate: per-connection settings a knexfile makes (a time zone, a pragma). knex runs it on
// every connection of its pool, so every query of a migration sees them.
const env = require('../connection-from-env.cjs');

function afterCreate(connection, done) {
  if (env.client() === 'pg') {
    connection.query("set timezone = 'Asia/Tokyo'", (err) => done(err, connection));
    return;
  }
  connection.pragma('recursive_triggers = ON');
  done(null, connection);
}

module.exports = {
  client: env.client(),
  connection: env.connection(),
  useNullAsDefault: true,
  pool: { afterCreate },
  migrations: { directory: './migrations' },
};
