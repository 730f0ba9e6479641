// The corpus: knex projects under test/conformance/corpus/, and the steps each goes through — the same
// steps by knex's CLI on one database and by dbfleet on a fleet of two.
import { join } from 'node:path';
import { CORPUS } from './conformance-cli.js';
import { DEFAULT_HISTORY, type HistoryLocation } from './conformance-snapshot.js';

export type Step =
  /** knex `migrate:up <name>` / dbfleet `migrate --to <name>`: `name` is the next pending one. */
  | { kind: 'up'; name: string; fails?: string }
  /** knex `migrate:latest` / dbfleet `migrate`. `fails`: both must fail, naming this. */
  | { kind: 'latest'; fails?: string }
  /** knex `migrate:rollback --all` / dbfleet `rollback` until nothing is applied. */
  | { kind: 'rollback-all' };

export type DialectKey = 'postgres' | 'sqlite';

export interface ConformanceCase {
  folder: string;
  knexfile: string;
  dialects: readonly DialectKey[];
  steps: readonly Step[];
  history: (dialect: DialectKey) => HistoryLocation;
  /** Statements every PostgreSQL database of the case needs first (what a DBA set up). */
  postgresSetup?: string;
}

const both: readonly DialectKey[] = ['postgres', 'sqlite'];
const defaultHistory = () => DEFAULT_HISTORY;

function project(folder: string, knexfile: string): { folder: string; knexfile: string } {
  return { folder, knexfile: join(CORPUS, folder, knexfile) };
}

export const CORPUS_CASES: readonly ConformanceCase[] = [
  {
    // What the migration sees of knex: client string, dialect, driver, userParams, isTransaction,
    // migrations config, searchPath — in a transaction, nested, and without one. Branches on the client.
    ...project('observe', 'knexfile.mjs'),
    dialects: both,
    history: defaultHistory,
    steps: [{ kind: 'latest' }, { kind: 'rollback-all' }],
  },
  {
    // knex.batchInsert inside the migration's transaction; then a migration that batchInserts and throws.
    ...project('batch-insert-rollback', 'knexfile.js'),
    dialects: both,
    history: defaultHistory,
    steps: [
      { kind: 'up', name: '20250201000000_create_products.js' },
      { kind: 'latest', fails: 'price feed rejected' },
      { kind: 'rollback-all' },
    ],
  },
  {
    // knex.transaction(cb), trx.transaction(cb), a caught inner failure, .transacting(trx); then a
    // migration whose nested transactions committed before it threw.
    ...project('nested-transactions', 'knexfile.mjs'),
    dialects: both,
    history: defaultHistory,
    steps: [
      { kind: 'up', name: '20250301000000_create_ledger.js' },
      { kind: 'latest', fails: 'transfer limits are not configured' },
      { kind: 'rollback-all' },
    ],
  },
  {
    // .ts/.mjs/.cjs/.js, hasTable/hasColumn, knex.raw bindings, alterTable on SQLite with foreign keys
    // both ways (a table rebuild); two batches, rolled back in two runs by dbfleet.
    ...project('schema-evolution', 'knexfile.mjs'),
    dialects: both,
    history: defaultHistory,
    steps: [
      { kind: 'up', name: '20250401000000_create_customers.ts' },
      { kind: 'latest' },
      { kind: 'rollback-all' },
    ],
  },
  {
    // transaction: false with CREATE INDEX CONCURRENTLY, then one that fails after building an index and
    // leaves an INVALID one.
    ...project('concurrent-index', 'knexfile.js'),
    dialects: ['postgres'],
    history: defaultHistory,
    steps: [
      { kind: 'up', name: '20250501000000_create_events.js' },
      { kind: 'latest', fails: 'events_ref_key' },
      { kind: 'rollback-all' },
    ],
  },
  {
    // transaction: false with three knex.transaction() chunks in parallel (one fails alone) and a query
    // beside an open transaction: knex's pool gives each its own connection.
    ...project('parallel-transactions', 'knexfile.js'),
    dialects: ['postgres'],
    history: defaultHistory,
    steps: [{ kind: 'latest' }, { kind: 'rollback-all' }],
  },
  {
    // The knexfile's defaultDateTimePrecision: timestamps compile with it unless they give their own.
    ...project('knexfile-settings', 'knexfile.js'),
    dialects: ['postgres'],
    history: defaultHistory,
    steps: [{ kind: 'latest' }, { kind: 'rollback-all' }],
  },
  {
    // No useNullAsDefault: a multi-row insert leaving a column out is refused, as knex refuses it.
    ...project('sqlite-insert-defaults', 'knexfile.js'),
    dialects: ['sqlite'],
    history: defaultHistory,
    steps: [
      { kind: 'up', name: '20250801000000_create_plans.js' },
      { kind: 'latest', fails: 'does not support inserting default values' },
      { kind: 'rollback-all' },
    ],
  },
  {
    // knex's default loadExtensions (no .mjs), and a pending module without a down function, which knex
    // refuses (with the batch it is in) before running anything.
    ...project('knex-refusals', 'knexfile.js'),
    dialects: ['postgres'],
    history: defaultHistory,
    steps: [
      { kind: 'up', name: '20250901000000_create_notes.js' },
      { kind: 'latest', fails: 'must have both an up and down function' },
      { kind: 'rollback-all' },
    ],
  },
  {
    // pool.afterCreate runs on every connection a migration's queries use, side-by-side ones included.
    ...project('pool-after-create', 'knexfile.js'),
    dialects: both,
    history: defaultHistory,
    steps: [{ kind: 'latest' }, { kind: 'rollback-all' }],
  },
  {
    // The knexfile's migrations.tableName (and, on PostgreSQL, schemaName): dbfleet reads it with --config.
    ...project('custom-history', 'knexfile.cjs'),
    dialects: both,
    history: (dialect) =>
      dialect === 'postgres'
        ? { tableName: 'schema_history', schemaName: 'platform' }
        : { tableName: 'schema_history' },
    postgresSetup: 'create schema platform',
    steps: [{ kind: 'latest' }, { kind: 'rollback-all' }],
  },
  {
    // Dialect branches (knex.client.dialect, client.config.client), chained builders and raw promise
    // chains returned unawaited, a partial index, a data migration reading back inserted ids, SQLite's
    // PRAGMA foreign_keys toggled inside the migration's transaction.
    ...project('dialect-branches', 'knexfile.js'),
    dialects: both,
    history: defaultHistory,
    steps: [
      { kind: 'up', name: '20251001000000_create_monitors.js' },
      { kind: 'latest' },
      { kind: 'rollback-all' },
    ],
  },
  {
    // A native enum (useNative/enumName; CHECK on SQLite), jsonb, timestamps(true, true),
    // createTableIfNotExists, renameTable, ON UPDATE CASCADE; a transaction: false migration adding an
    // enum value (a table rebuild on SQLite) and then opening its own knex.transaction.
    ...project('native-enums', 'knexfile.mjs'),
    dialects: both,
    history: defaultHistory,
    steps: [{ kind: 'latest' }, { kind: 'rollback-all' }],
  },
  {
    // withSchema, createSchemaIfNotExists, Promise.all of schema builders in a transaction and without
    // one (side-by-side connections), a builder neither returned nor awaited (knex never runs it).
    ...project('schemas-in-parallel', 'knexfile.js'),
    dialects: ['postgres'],
    history: defaultHistory,
    steps: [{ kind: 'latest' }, { kind: 'rollback-all' }],
  },
];
