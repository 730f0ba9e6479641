// PostgreSQL only: CREATE INDEX CONCURRENTLY cannot run in a transaction.
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  migrations: { directory: './migrations' },
};
