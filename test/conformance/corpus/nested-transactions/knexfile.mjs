import env from '../connection-from-env.cjs';

export default {
  client: env.client(),
  connection: env.connection(),
  useNullAsDefault: true,
  migrations: { directory: './migrations' },
};
