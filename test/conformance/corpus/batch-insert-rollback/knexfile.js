// A CommonJS project: `module.exports` knexfile, CommonJS migrations (.js and .cjs).
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  useNullAsDefault: true,
  migrations: { directory: './migrations' },
};
