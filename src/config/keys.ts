// Which top-level keys a configuration may have. A dbfleet config and a knexfile can be one file, so
// knex's own keys are accepted too; anything else is a typo (`inventroy`) and an error, never ignored.

/** The keys dbfleet reads. A new key goes here and into the schema (schema.ts fails to compile otherwise). */
export const DBFLEET_KEYS = [
  'inventory',
  'migrations',
  'optimizations',
  'backups',
  'journal',
  'concurrency',
  'perHost',
  'timeouts',
  'hooks',
  'checks',
  'throttle',
] as const;

/** Every key of knex 3.3.0's `Knex.Config` (node_modules/knex/types/index.d.ts), plus the CLI's `ext`. */
export const KNEX_KEYS = [
  'debug',
  'client',
  'dialect',
  'jsonbSupport',
  'version',
  'connection',
  'connectionPool',
  'pool',
  'migrations',
  'postProcessResponse',
  'wrapIdentifier',
  'seeds',
  'acquireConnectionTimeout',
  'useNullAsDefault',
  'searchPath',
  'asyncStackTraces',
  'log',
  'compileSqlOnError',
  'fetchAsString',
  'defaultDateTimePrecision',
  'ext',
] as const;

export const CONFIG_KEYS: ReadonlySet<string> = new Set<string>([...DBFLEET_KEYS, ...KNEX_KEYS]);

/** knex's `MigratorConfig` keys that dbfleet reads or that do not change what a migration does. */
export const MIGRATIONS_KEYS = [
  'directory',
  'loadExtensions',
  'sortDirsSeparately',
  'tableName',
  'schemaName',
  'disableMigrationsListValidation',
  // Only `knex migrate:make` uses these: harmless here.
  'extension',
  'stub',
  'name',
  'database',
  // dbfleet's own.
  'allowOutOfOrder',
] as const;

/**
 * knex `migrations` settings that change how migrations run in ways dbfleet does not reproduce: running
 * on while ignoring them would apply migrations differently from `knex migrate`, so they are refused.
 */
export const UNSUPPORTED_MIGRATIONS_KEYS = {
  migrationSource:
    'dbfleet reads migration files from migrations.directory; a custom migrationSource is not supported',
  disableTransactions:
    'not supported: mark the migrations that must run outside a transaction with `export const config = { transaction: false }`',
  beforeAll: 'knex lifecycle hooks are not supported: use hooks.beforeTenant / hooks.afterTenant',
  beforeEach: 'knex lifecycle hooks are not supported: use hooks.beforeTenant / hooks.afterTenant',
  afterEach: 'knex lifecycle hooks are not supported: use hooks.beforeTenant / hooks.afterTenant',
  afterAll: 'knex lifecycle hooks are not supported: use hooks.beforeTenant / hooks.afterTenant',
} as const satisfies Readonly<Record<string, string>>;
