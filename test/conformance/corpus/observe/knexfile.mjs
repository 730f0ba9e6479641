// An ESM project: `export default` knexfile, TypeScript and ESM migrations.
import env from '../connection-from-env.cjs';

export default {
  client: env.client(),
  connection: env.connection(),
  useNullAsDefault: true,
  // knex loads no .mjs migration unless told to (its default loadExtensions lack it).
  migrations: { directory: './migrations', loadExtensions: ['.js', '.mjs', '.cjs', '.ts'] },
};
