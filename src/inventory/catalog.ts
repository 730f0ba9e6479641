import knexFactory from 'knex';
import { errorMessage, UsageError } from '../core/errors.js';
import { registerSecret } from '../core/redact.js';
import type { ConnectionObject, DialectName } from '../core/tenant.js';
import { SILENT_KNEX_LOG } from '../dialect/pinned-knex.js';
import { getAdapter } from '../dialect/registry.js';

/**
 * A control database lists the tenants: each row of `query` becomes one. Recognised columns: `id`
 * (required), `dialect`, `connection` (a full URL), or `host`/`port`/`database`/`user`/`password`
 * merged over `defaults`; `schema`; `tags` (an array or a comma-separated string).
 */
export interface CatalogSource {
  dialect?: DialectName;
  connection: string | ConnectionObject;
  query: string;
  /** Dialect of the tenants when rows don't say (default: the control database's). */
  tenantDialect?: DialectName;
  /** Connection fields every tenant shares (user, password, port, ssl…). */
  defaults?: ConnectionObject;
}

const FIELDS = ['host', 'port', 'database', 'user', 'password', 'server', 'filename'] as const;

export function catalogRowToEntry(
  row: Record<string, unknown>,
  source: CatalogSource,
): Record<string, unknown> {
  const dialect = (row.dialect as string | undefined) ?? source.tenantDialect ?? source.dialect ?? 'postgres';
  let connection: unknown = row.connection;
  if (connection === undefined || connection === null) {
    const c: ConnectionObject = { ...(source.defaults ?? {}) };
    for (const field of FIELDS)
      if (row[field] !== undefined && row[field] !== null) (c as Record<string, unknown>)[field] = row[field];
    connection = dialect === 'sqlite' ? (c.filename ?? c.database) : c;
  }
  const tags =
    typeof row.tags === 'string'
      ? row.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : row.tags;
  return {
    id: row.id === undefined || row.id === null ? row.id : String(row.id),
    dialect,
    connection,
    ...(row.schema ? { schema: row.schema } : {}),
    ...(tags ? { tags } : {}),
  };
}

export async function readCatalog(source: CatalogSource): Promise<Record<string, unknown>[]> {
  const dialect = source.dialect ?? 'postgres';
  const adapter = getAdapter(dialect);
  registerSecret(source.defaults?.password);
  let parsed: ReturnType<typeof adapter.parseConnection>;
  try {
    parsed = adapter.parseConnection(source.connection);
  } catch (err) {
    throw new UsageError(`catalog: malformed connection: ${errorMessage(err)}`);
  }
  registerSecret(parsed.connection.password);
  const knex = knexFactory({
    ...adapter.knexConfig(
      {
        id: 'catalog',
        dialect,
        connection: parsed.connection,
        host: parsed.host,
        database: parsed.database,
        tags: [],
      },
      { timeouts: { lockTimeoutMs: 0, statementTimeoutMs: 0 } },
    ),
    pool: { min: 0, max: 1 },
    log: SILENT_KNEX_LOG,
  });
  try {
    const rows = adapter.rowsOf(await knex.raw(source.query));
    return rows.map((row) => catalogRowToEntry(row, source));
  } catch (err) {
    throw new UsageError(`catalog query failed on ${parsed.host}/${parsed.database}: ${errorMessage(err)}`);
  } finally {
    await knex.destroy();
  }
}
