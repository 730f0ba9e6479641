// Knexfile settings that change the SQL knex compiles: timestamps without a precision of their own get
// the knexfile's (PostgreSQL; SQLite has no such precision).
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  defaultDateTimePrecision: 3,
  migrations: { directory: './migrations' },
};
