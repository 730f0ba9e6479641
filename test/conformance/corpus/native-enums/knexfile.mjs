// Enums, defaults and renames as small web apps write them (ideas from the food-explorer back ends on
// GitHub, e.g. jean88asl/Api_food_explorer: enu with useNative/enumName and knex.fn.now() defaults):
// a native PostgreSQL enum (a CHECK constraint on SQLite), timestamps(true, true), jsonb,
// createTableIfNotExists, renameTable, ON UPDATE CASCADE, ALTER TYPE … ADD VALUE in a
// transaction: false migration that then opens its own knex.transaction.
import env from '../connection-from-env.cjs';

export default {
  client: env.client(),
  connection: env.connection(),
  useNullAsDefault: true,
  migrations: { directory: './migrations' },
};
