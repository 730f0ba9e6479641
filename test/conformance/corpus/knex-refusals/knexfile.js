// No loadExtensions: knex's defaults, which leave .mjs files out. A pending module without a down
// function makes knex refuse the batch before running any of it.
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  migrations: { directory: './migrations' },
};
