import type { ConnectionObject, DialectName } from '../core/tenant.js';
import { getAdapter } from '../dialect/registry.js';

/** What a knexfile's `client` and `connection` give every inventory entry that leaves them out. */
export interface TenantDefaults {
  dialect?: DialectName;
  connection?: string | ConnectionObject;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The default connection as an object, to merge an entry's partial object over (server dialects only). */
function defaultConnectionObject(dialect: DialectName, connection: string | ConnectionObject) {
  if (typeof connection !== 'string') return connection;
  try {
    return getAdapter(dialect).parseConnection(connection).connection;
  } catch {
    return undefined; // malformed: the entry's own connection stands and is validated as it is
  }
}

/**
 * Fills in an entry's missing `dialect` and `connection` from the defaults. An entry's connection
 * object on the default's (server) dialect is merged over the default connection, so
 * `{ "id": "acme", "connection": { "database": "acme" } }` keeps the knexfile's host, user and password.
 * Anything that is not an object entry is left for validation to report.
 */
export function applyTenantDefaults(entries: unknown, defaults: TenantDefaults): unknown {
  if (!Array.isArray(entries)) return entries;
  return entries.map((entry) => {
    if (!isPlainObject(entry)) return entry;
    const dialect = entry.dialect ?? defaults.dialect;
    let connection = entry.connection ?? defaults.connection;
    if (
      isPlainObject(entry.connection) &&
      defaults.connection !== undefined &&
      dialect === defaults.dialect &&
      defaults.dialect !== undefined &&
      !getAdapter(defaults.dialect).capabilities.fileBased
    ) {
      const base = defaultConnectionObject(defaults.dialect, defaults.connection);
      if (base) connection = { ...base, ...entry.connection };
    }
    return {
      ...entry,
      ...(dialect !== undefined ? { dialect } : {}),
      ...(connection !== undefined ? { connection } : {}),
    };
  });
}
