// PostgreSQL only: knex's pool gives each transaction of a `transaction: false` migration a connection
// of its own, and a query outside an open transaction yet another.
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  migrations: { directory: './migrations' },
};
