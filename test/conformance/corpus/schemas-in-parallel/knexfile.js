// PostgreSQL only: schema builders run side by side with Promise.all (ideas from the many
// `return Promise.all([knex.schema.createTable(…), …])` migrations on GitHub, e.g.
// stevenalexander/node-knex-migrations-example), in a transaction and without one; knex.schema.withSchema
// and createSchemaIfNotExists (wgrisa/knex-migration-with-schema); a builder neither returned nor awaited,
// which knex never runs.
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  migrations: { directory: './migrations' },
};
