// Migrations that branch on the dialect, as projects supporting several databases write them (ideas from
// louislam/uptime-kuma db/knex_migrations, backstage/backstage's catalog migrations and a club-management
// app's SQLite PRAGMA toggling): knex.client.dialect, knex.client.config.client, promise chains returned
// rather than awaited, partial indexes through knex.raw, a data migration reading back inserted ids.
const env = require('../connection-from-env.cjs');

module.exports = {
  client: env.client(),
  connection: env.connection(),
  useNullAsDefault: true,
  migrations: { directory: './migrations' },
};
