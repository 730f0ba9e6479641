import { parse as parseUrl } from 'pg-connection-string';
import type { ConnectionObject } from '../../core/tenant.js';
import type { ParsedConnection } from '../types.js';

/** Accepts `postgres://user:pass@host:5432/db?sslmode=require` or a knex/pg connection object. */
export function parsePostgresConnection(input: string | ConnectionObject): ParsedConnection {
  let connection: ConnectionObject;
  if (typeof input === 'string') {
    if (!/^postgres(ql)?:\/\//i.test(input)) {
      throw new Error('a PostgreSQL connection string must start with postgres:// or postgresql://');
    }
    const parsed = parseUrl(input);
    connection = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (value !== undefined && value !== null && value !== '') connection[key] = value;
    }
    if (parsed.port) connection.port = Number(parsed.port);
    // pg-connection-string decodes with decodeURI, leaving %3D, %2F, %3F… encoded in the database name.
    try {
      const path = new URL(input).pathname.slice(1);
      if (path) connection.database = decodeURIComponent(path);
    } catch {
      // keep what pg-connection-string found
    }
  } else {
    connection = { ...input };
  }
  if (connection.connectionString) {
    throw new Error('use a URL string or separate fields, not connectionString');
  }
  // What the connection leaves out, pg (and so knex) takes from libpq's variables, as pg_dump does: a
  // knexfile relying on PGHOST must reach that server here too, not localhost.
  const env = process.env;
  const database = nonEmpty(connection.database) ?? nonEmpty(env.PGDATABASE);
  if (database === undefined) throw new Error('the connection names no database (nor does PGDATABASE)');
  connection.database = database;
  const host = nonEmpty(connection.host) ?? nonEmpty(env.PGHOST) ?? 'localhost';
  const port = connection.port === undefined ? Number(nonEmpty(env.PGPORT) ?? 5432) : Number(connection.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`invalid port ${String(connection.port ?? env.PGPORT)}`);
  connection.host = host;
  connection.port = port;
  return { connection, host: `postgres://${host}:${port}`, database };
}

const nonEmpty = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
