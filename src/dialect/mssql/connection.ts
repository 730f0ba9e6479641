import type { ConnectionObject } from '../../core/tenant.js';
import type { ParsedConnection } from '../types.js';
import { backupPathMapOf } from './backup-path.js';

/**
 * Inventory connections for SQL Server: `mssql://user:pass@host:1433/db?encrypt=true&trustServerCertificate=true`
 * (also `sqlserver://`, and `host\INSTANCE` for a named instance), or a knex/mssql connection object
 * `{ server | host, port, user, password, database, options: { … } }`. Both become the knex object.
 * No message built here contains a value from the input other than the host: a misplaced password
 * (`mssql://sa:secret/db` parses "secret" as the port) must not end up in a report.
 */

const DEFAULT_PORT = 1433;
const URL_PATTERN = /^(?:mssql|sqlserver):\/\/([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?(?:#.*)?$/i;
const HOST_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$/;
const INSTANCE_PATTERN = /^[A-Za-z0-9_$#-]{1,16}$/;
const MAX_DATABASE_LENGTH = 128;

type OptionType = 'boolean' | 'integer' | 'string';
/** URL query parameters, matched case-insensitively, and the tedious option each sets. */
const URL_OPTIONS: Record<string, { option: string; type: OptionType }> = {
  encrypt: { option: 'encrypt', type: 'boolean' },
  trustservercertificate: { option: 'trustServerCertificate', type: 'boolean' },
  instancename: { option: 'instanceName', type: 'string' },
  connecttimeout: { option: 'connectTimeout', type: 'integer' },
  connectiontimeout: { option: 'connectTimeout', type: 'integer' },
  requesttimeout: { option: 'requestTimeout', type: 'integer' },
  canceltimeout: { option: 'cancelTimeout', type: 'integer' },
  appname: { option: 'appName', type: 'string' },
  readonlyintent: { option: 'readOnlyIntent', type: 'boolean' },
  multisubnetfailover: { option: 'multiSubnetFailover', type: 'boolean' },
};

function decode(value: string, what: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new Error(`the ${what} in the connection URL is not valid percent-encoding`);
  }
}

function parseOptionValue(name: string, type: OptionType, raw: string): unknown {
  if (type === 'string') return raw;
  if (type === 'boolean') {
    if (/^(true|yes|1)$/i.test(raw)) return true;
    if (/^(false|no|0)$/i.test(raw)) return false;
    throw new Error(`connection option ${name} must be true or false`);
  }
  const n = Number(raw);
  if (raw === '' || !Number.isSafeInteger(n) || n < 0)
    throw new Error(`connection option ${name} must be a non-negative integer`);
  return n;
}

function fromUrl(input: string): ConnectionObject {
  const match = URL_PATTERN.exec(input);
  if (!match) {
    throw new Error(
      'not a valid mssql:// URL (expected mssql://user:password@host:port/database; percent-encode / ? # @ in the user name and password)',
    );
  }
  const authority = match[1] ?? '';
  const at = authority.lastIndexOf('@');
  const userInfo = at === -1 ? undefined : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  // `[::1]:1433`, `host:1433`, `host\\INSTANCE`; the port stays a string here and is validated later.
  const portMatch = /^(\[[^\]]*\]|[^:]*):([^:]*)$/.exec(hostPort);
  const connection: ConnectionObject = {
    server: decode(portMatch ? portMatch[1]! : hostPort, 'server name'),
  };
  if (portMatch) (connection as Record<string, unknown>).port = portMatch[2];
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const user = decode(colon === -1 ? userInfo : userInfo.slice(0, colon), 'user name');
    if (user !== '') connection.user = user;
    if (colon !== -1) connection.password = decode(userInfo.slice(colon + 1), 'password');
  }
  if (match[2]) connection.database = decode(match[2], 'database name');
  const options: Record<string, unknown> = {};
  for (const [name, raw] of new URLSearchParams(match[3] ?? '')) {
    if (name.toLowerCase() === 'domain') {
      // Windows authentication over NTLM: knex reads `type` and `domain` from the connection object.
      connection.type = 'ntlm';
      connection.domain = raw;
      continue;
    }
    const known = URL_OPTIONS[name.toLowerCase()];
    if (!known) {
      const names = [...new Set(Object.values(URL_OPTIONS).map((o) => o.option)), 'domain'];
      throw new Error(`unknown connection option "${name}" (known: ${names.join(', ')})`);
    }
    options[known.option] = parseOptionValue(name, known.type, raw);
  }
  connection.options = options;
  return connection;
}

function normalizePort(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const port = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error('invalid port (must be an integer from 1 to 65535)');
  }
  return port;
}

/** Merges a value that may be given at the top level or under `options`, refusing contradictions. */
function pick(top: unknown, nested: unknown, what: string): unknown {
  if (top !== undefined && nested !== undefined && top !== nested) {
    throw new Error(`${what} is given twice with different values (top level and options)`);
  }
  return top ?? nested;
}

export function parseMssqlConnection(input: string | ConnectionObject): ParsedConnection {
  let source: ConnectionObject;
  if (typeof input === 'string') {
    if (!/^(mssql|sqlserver):\/\//i.test(input)) {
      throw new Error('a SQL Server connection string must start with mssql:// or sqlserver://');
    }
    source = fromUrl(input);
  } else {
    if (input === null || typeof input !== 'object')
      throw new Error('a SQL Server connection must be a URL or an object');
    source = input;
  }
  const {
    host: hostField,
    server: serverField,
    port: portField,
    database: databaseField,
    options: rawOptions,
    ...rest
  } = source;
  if ('connectionString' in rest)
    throw new Error('use a URL string or separate fields, not connectionString');
  backupPathMapOf(rest); // validated with the inventory, not at the first backup
  if (
    rawOptions !== undefined &&
    (rawOptions === null || typeof rawOptions !== 'object' || Array.isArray(rawOptions))
  ) {
    throw new Error('connection options must be an object');
  }
  const {
    port: optionsPort,
    database: optionsDatabase,
    ...options
  } = (rawOptions ?? {}) as Record<string, unknown>;

  const server = pick(serverField, hostField, 'the server (server and host)');
  if (typeof server !== 'string' || server.trim() === '') throw new Error('the connection names no server');
  const serverParts = server.trim().split('\\');
  if (serverParts.length > 2) throw new Error('invalid server name: expected host or host\\instance');
  const hostname = serverParts[0]!;
  let instanceName: string | undefined = serverParts[1];
  instanceName = pick(instanceName, options.instanceName, 'the instance name') as string | undefined;
  if (!HOST_PATTERN.test(hostname))
    throw new Error('invalid server name (letters, digits, . - _ or an [IPv6] address)');
  if (
    instanceName !== undefined &&
    (typeof instanceName !== 'string' || !INSTANCE_PATTERN.test(instanceName))
  ) {
    throw new Error('invalid instance name (1-16 letters, digits, _ $ # -)');
  }

  const database = pick(databaseField, optionsDatabase, 'the database');
  if (typeof database !== 'string' || database === '') throw new Error('the connection names no database');
  if (database.length > MAX_DATABASE_LENGTH) {
    throw new Error(`the database name is longer than ${MAX_DATABASE_LENGTH} characters`);
  }

  const port = normalizePort(pick(portField, optionsPort, 'the port'));
  if (instanceName !== undefined && port !== undefined) {
    throw new Error(
      'give either a port or an instance name, not both (the instance name is resolved to a port)',
    );
  }

  const connection: ConnectionObject = {
    ...rest,
    server: hostname,
    database,
    ...(instanceName === undefined ? { port: port ?? DEFAULT_PORT } : {}),
    // tedious encrypts by default; knex would turn that off unless told, so say it explicitly.
    options: {
      encrypt: true,
      trustServerCertificate: false,
      ...options,
      ...(instanceName === undefined ? {} : { instanceName }),
    },
  };
  const hostKey =
    instanceName === undefined
      ? `mssql://${hostname.toLowerCase()}:${port ?? DEFAULT_PORT}`
      : `mssql://${hostname.toLowerCase()}\\${instanceName.toLowerCase()}`;
  return { connection, host: hostKey, database };
}
