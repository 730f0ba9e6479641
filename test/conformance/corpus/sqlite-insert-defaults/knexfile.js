// SQLite without `useNullAsDefault`: knex refuses a multi-row insert whose rows leave a column out
// (SQLite has no DEFAULT in VALUES), rather than storing NULL where the column has a default.
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  migrations: { directory: './migrations' },
};
