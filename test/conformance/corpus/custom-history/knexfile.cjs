// knex's history under another name and, on PostgreSQL, in its own schema (which the DBA created).
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  useNullAsDefault: true,
  migrations: {
    directory: './migrations',
    tableName: 'schema_history',
    ...(env.client() === 'pg' ? { schemaName: 'platform' } : {}),
  },
};
