import { isAbsolute, resolve } from 'node:path';
import { errorMessage, UsageError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { ConnectionObject } from '../core/tenant.js';
import type { TenantDefaults } from '../inventory/load.js';
import { isPlainObject } from './environment.js';
import { dialectOfKnexClient } from './knex-client.js';
import type { ValidConfig } from './types.js';

function registerPassword(connection: string | ConnectionObject): void {
  if (typeof connection === 'object') {
    registerSecret(connection.password);
    return;
  }
  try {
    registerSecret(decodeURIComponent(new URL(connection).password));
  } catch {
    // not a URL (a SQLite path): nothing secret in it
  }
}

/** knex resolves a SQLite filename against the knexfile's folder (its CLI runs there); so does dbfleet. */
function locateSqliteFile(connection: string | ConnectionObject, baseDir: string) {
  const locate = (file: string) =>
    file === ':memory:' || /^[a-z]+:/i.test(file) || isAbsolute(file) ? file : resolve(baseDir, file);
  if (typeof connection === 'string') return locate(connection);
  return typeof connection.filename === 'string'
    ? { ...connection, filename: locate(connection.filename) }
    : connection;
}

/**
 * The knexfile's `client` and `connection` as the defaults inventory entries inherit. A `connection`
 * function (knex allows one) is called once here. Its password is registered as a secret at once, so
 * no message can print it.
 */
export async function tenantDefaultsOf(
  config: ValidConfig,
  baseDir: string,
  source: string,
): Promise<TenantDefaults | undefined> {
  const dialect = typeof config.client === 'string' ? dialectOfKnexClient(config.client) : undefined;
  let connection: unknown = config.connection;
  if (typeof connection === 'function') {
    try {
      connection = await (connection as () => unknown)();
    } catch (err) {
      throw new UsageError(`${source}: connection() failed: ${errorMessage(err)}`);
    }
  }
  if (connection !== undefined && typeof connection !== 'string' && !isPlainObject(connection)) {
    throw new UsageError(`${source}: connection must be a URL or a connection object`);
  }
  if (dialect === undefined && connection === undefined) return undefined;
  const located =
    connection !== undefined && dialect === 'sqlite'
      ? locateSqliteFile(connection as string | ConnectionObject, baseDir)
      : (connection as string | ConnectionObject | undefined);
  if (located !== undefined) registerPassword(located);
  return { ...(dialect ? { dialect } : {}), ...(located !== undefined ? { connection: located } : {}) };
}
