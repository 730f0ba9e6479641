// Type-level test, checked by `npm run typecheck` (tsconfig.json includes test/): what defineConfig
// accepts and refuses in the editor. Each @ts-expect-error fails the typecheck if the line below it
// stops being an error, so a looser FleetConfig (an index signature, `unknown`) cannot slip back in.
import type { Knex } from 'knex';
import { defineConfig, type FleetConfig } from '../../src/config/types.js';

export const full = defineConfig({
  inventory: { discover: { dialect: 'sqlite', glob: 'fleet/*.sqlite', tags: ['demo'] } },
  migrations: { directory: ['./migrations', './more'], tableName: 'app_migrations', loadExtensions: ['.js'] },
  optimizations: './optimizations',
  backups: { directory: './backups', keep: 3 },
  journal: 'postgres://ops@control/dbfleet',
  concurrency: 8,
  perHost: 4,
  timeouts: { lock: '5s', statement: 600_000, lockWait: '0s', request: '30s' },
  hooks: {
    beforeTenant: "UPDATE app_settings SET value = 'on' WHERE key = 'maintenance'",
    afterTenant: async (knex, { tenant, runId }) => {
      await knex('audit').insert({ tenant: tenant.id, runId });
    },
  },
  checks: [
    { name: 'users', sql: 'select count(*) > 0 from users' },
    { name: 'settings', run: async (knex) => (await knex('app_settings').first()) !== undefined },
  ],
  throttle: { query: 'select count(*) from pg_stat_activity', max: 60, interval: '5s' },
  // knex's own keys, typed as knex types them.
  client: 'pg',
  connection: { host: 'db1', user: 'app', password: 'secret', database: 'app' },
  pool: { min: 0, max: 4 },
  seeds: { directory: './seeds' },
  searchPath: ['app', 'public'],
  useNullAsDefault: true,
  wrapIdentifier: (value, impl) => impl(value),
});

export const listInventory = defineConfig({
  inventory: [{ id: 'acme', dialect: 'sqlite', connection: './acme.sqlite' }, { id: 'globex' }],
  hooks: { beforeTenant: ['select 1', 'select 2'] },
  checks: './checks',
  connection: async () => 'postgres://app@db1/app',
});

/** A knex config's keys fit a FleetConfig's (the same file serves both). */
export const fromKnex = (config: Pick<Knex.Config, 'pool' | 'searchPath' | 'seeds' | 'useNullAsDefault'>) =>
  defineConfig({ ...config, concurrency: 2 }) satisfies FleetConfig;

export const typos = defineConfig({
  // @ts-expect-error a misspelt key is an error, not a silently ignored setting
  concurency: 8,
});

export const nestedTypos = defineConfig({
  migrations: {
    // @ts-expect-error misspelt migrations key
    directroy: './migrations',
  },
  hooks: {
    // @ts-expect-error misspelt hook name
    beforeTenat: 'select 1',
  },
});

export const wrongShapes = defineConfig({
  hooks: {
    // @ts-expect-error a hook is SQL, a list of SQL or a function
    beforeTenant: 42,
  },
  throttle: {
    query: 'select 1',
    // @ts-expect-error max is a number
    max: 'x',
  },
  // @ts-expect-error checks are a folder or a list of checks
  checks: 5,
  // @ts-expect-error a positive whole number
  concurrency: '8',
});

export const wrongInventory = defineConfig({
  // @ts-expect-error an inventory is a list, { file }, { catalog }, { discover } or a function
  inventory: { files: './tenants.json' },
});

// knex's migrations settings dbfleet does not reproduce are accepted only as knex's default, false.
export const knexDefaults = defineConfig({ migrations: { disableTransactions: false } });
export const knexUnsupported = defineConfig({
  migrations: {
    // @ts-expect-error dbfleet does not run migrations outside transactions wholesale
    disableTransactions: true,
  },
});
