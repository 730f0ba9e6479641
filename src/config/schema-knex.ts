// knex's own keys, as a knexfile writes them. A dbfleet config and a knexfile are one file, so each key
// is typed as knex types it (a knexfile that compiles against `Knex.Config` compiles here) and checked
// only as far as knex would choke on it: dbfleet passes some to each tenant's knex and ignores the rest.
import type { Knex } from 'knex';
import { z } from 'zod';
import type { ConnectionObject } from '../core/tenant.js';
import { isPlainObject } from './environment.js';
import { type MIGRATIONS_KEYS, UNSUPPORTED_MIGRATIONS_KEYS } from './keys.js';
import { dialectOfKnexClient } from './knex-client.js';

const isFunction = (value: unknown) => typeof value === 'function';
const isStringList = (value: unknown) => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** One of knex's keys, with knex's own type, checked by `check` (`what` says what it must be). */
function knexKey<K extends keyof Knex.Config>(check: (value: unknown) => boolean, what: string) {
  return z.custom<Exclude<Knex.Config[K], undefined>>(check, { error: `must be ${what}` }).optional();
}

export const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A knex `connection`: a URL, a connection object, or a function returning one (called once at load). */
export type KnexConnection =
  | string
  | ConnectionObject
  | (() => string | ConnectionObject | Promise<string | ConnectionObject>);

const connection = z.union(
  [
    z.string(),
    z.custom<ConnectionObject>(isPlainObject),
    z.custom<Exclude<KnexConnection, string | ConnectionObject>>(isFunction),
  ],
  { error: 'must be a URL, a connection object or a function returning one' },
);

/** knex `migrations` settings dbfleet does not reproduce: only `false` (knex's default) is accepted. */
const unsupported = Object.fromEntries(
  Object.entries(UNSUPPORTED_MIGRATIONS_KEYS).map(([key, why]) => [
    key,
    z.custom<false>((value) => value === false, { error: why }).optional(),
  ]),
) as Record<keyof typeof UNSUPPORTED_MIGRATIONS_KEYS, z.ZodOptional<z.ZodCustom<false, false>>>;

/**
 * knex's `migrations` block plus dbfleet's own key: `knex migrate` and dbfleet read the same block, so
 * both see the same folder, table and schema.
 */
export const migrationsObject = z.strictObject({
  /** One folder or several (their files are sorted together by name unless `sortDirsSeparately`). */
  directory: z
    .union([nonEmpty, z.array(nonEmpty).min(1, 'must name at least one folder').readonly()], {
      error: 'must be a folder or a list of folders',
    })
    .optional(),
  /** Which file extensions are migrations, as in knex (e.g. `['.js']` beside compiled `.ts`). `.sql` always is. */
  loadExtensions: z
    .array(z.string().regex(/^\.[^./\\]+$/, 'an extension with its dot, like ".js"'))
    .readonly()
    .optional(),
  sortDirsSeparately: z.boolean().optional(),
  /** History table (default `knex_migrations`). */
  tableName: nonEmpty.optional(),
  /** Schema of the history table (PostgreSQL, SQL Server). */
  schemaName: nonEmpty.optional(),
  /** Accepted for knex; dbfleet still reports applied migrations whose file is missing. */
  disableMigrationsListValidation: z.boolean().optional(),
  /** `knex migrate:make` settings: accepted, not used. */
  extension: z.string().optional(),
  stub: z.string().optional(),
  name: z.string().optional(),
  database: z.string().optional(),
  /** dbfleet: apply a pending migration that sorts before the newest applied one. */
  allowOutOfOrder: z.boolean().optional(),
  ...unsupported,
} satisfies Record<(typeof MIGRATIONS_KEYS)[number] | keyof typeof UNSUPPORTED_MIGRATIONS_KEYS, z.ZodType>);

/** Every key of knex 3.3.0's `Knex.Config` (see KNEX_KEYS), plus its CLI's `ext`. */
export const knexShape = {
  /** knex: `pg`/`postgres`/`postgresql`/`pgnative`, `better-sqlite3`/`sqlite3`, `mssql`. Inventory entries without a dialect take it. */
  client: z
    .string({ error: 'must be a knex client name, like "pg"' })
    .refine((client) => dialectOfKnexClient(client) !== undefined, {
      error: (issue) =>
        `"${String(issue.input)}" is not a database dbfleet drives (pg, better-sqlite3, sqlite3 or mssql)`,
    })
    .optional(),
  /** knex: inventory entries without a connection take it; a connection object is merged under theirs. */
  connection: connection.optional(),
  migrations: z
    .union([nonEmpty, migrationsObject], { error: 'must be a folder or { directory, tableName, … }' })
    .optional(),
  // Passed to every tenant's knex (see knex-settings.ts).
  searchPath: knexKey<'searchPath'>(
    (v) => typeof v === 'string' || isStringList(v),
    'a schema or a list of schemas',
  ),
  useNullAsDefault: knexKey<'useNullAsDefault'>((v) => typeof v === 'boolean', 'true or false'),
  wrapIdentifier: knexKey<'wrapIdentifier'>(isFunction, 'a function'),
  postProcessResponse: knexKey<'postProcessResponse'>(isFunction, 'a function'),
  asyncStackTraces: knexKey<'asyncStackTraces'>((v) => typeof v === 'boolean', 'true or false'),
  compileSqlOnError: knexKey<'compileSqlOnError'>((v) => typeof v === 'boolean', 'true or false'),
  jsonbSupport: knexKey<'jsonbSupport'>((v) => typeof v === 'boolean', 'true or false'),
  defaultDateTimePrecision: knexKey<'defaultDateTimePrecision'>((v) => typeof v === 'number', 'a number'),
  version: knexKey<'version'>((v) => typeof v === 'string', 'a string'),
  // Accepted for knex, not used: dbfleet connects and pools each tenant itself.
  debug: knexKey<'debug'>((v) => typeof v === 'boolean', 'true or false'),
  dialect: knexKey<'dialect'>((v) => typeof v === 'string', 'a string'),
  connectionPool: knexKey<'connectionPool'>((v) => typeof v === 'object' && v !== null, 'a pool'),
  pool: knexKey<'pool'>(isPlainObject, 'an object'),
  seeds: knexKey<'seeds'>(isPlainObject, 'an object'),
  acquireConnectionTimeout: knexKey<'acquireConnectionTimeout'>((v) => typeof v === 'number', 'a number'),
  log: knexKey<'log'>(isPlainObject, 'an object of logging functions'),
  fetchAsString: knexKey<'fetchAsString'>(isStringList, 'a list of type names'),
  /** knex's CLI: the extension of new migration files. */
  ext: z.string().optional(),
};
