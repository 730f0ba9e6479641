import knexFactory, { type Knex } from 'knex';
import { disableKnexProcessing } from './knex-processing.js';

/**
 * knex would print its own warnings ("Acquire connection error…") to stdout/stderr, next to `--json`;
 * every error reaches dbfleet's report instead, classified and redacted.
 */
export const SILENT_KNEX_LOG: Knex.Config['log'] = {
  warn: () => {},
  error: () => {},
  deprecate: () => {},
  debug: () => {},
};

/**
 * A knex instance over exactly one physical connection: the pool holds one connection, created lazily
 * and never reaped while the tenant's pipeline runs, so session locks and `SET`s stay on it.
 * `acquireConnectionTimeout` is short enough that a query issued outside an open transaction
 * (a programming error that would otherwise hang) surfaces as an error.
 */
export function createPinnedKnex(config: Knex.Config): Knex {
  const knex = knexFactory({
    ...config,
    pool: {
      min: 0,
      max: 1,
      idleTimeoutMillis: 24 * 60 * 60 * 1000,
      ...(config.pool ?? {}),
    },
    acquireConnectionTimeout: config.acquireConnectionTimeout ?? 120_000,
    // A knexfile's own `log` gets knex's warnings, as under knex; otherwise they stay out of the output.
    log: config.log ?? SILENT_KNEX_LOG,
  });
  disableKnexProcessing(knex);
  return knex;
}
